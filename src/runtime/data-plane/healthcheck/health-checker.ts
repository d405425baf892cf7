/**
 * Per-upstream health state of each address, fed by active probes and by the proxy's passive
 * reports (lua-resty-healthcheck's model, as Kong uses it):
 * - a success resets the failure counters, a failure resets the success counter;
 * - a healthy address turns unhealthy when one failure counter reaches its non-zero threshold;
 * - an unhealthy address turns healthy when successes reach the non-zero healthy threshold.
 * Active rounds probe healthy addresses every healthy.interval (to catch failures) and unhealthy
 * ones every unhealthy.interval (to bring them back). With passive checks only, an unhealthy address
 * gets no traffic and so no successes: as in Kong, only active checks or a manual setHealthy() bring
 * it back.
 */
import type { CheckSide, HealthConfig } from './health-config.js';
import { activeEnabled, healthchecksOff } from './health-config.js';
import { probe as realProbe, type ProbeOutcome, type ProbeTarget } from './probe.js';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.js';

/** One tracked address and its counters; balancers read `healthy` on every pick. */
export interface HealthEntry {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  healthy: boolean;
  successes: number;
  tcpFailures: number;
  timeouts: number;
  httpFailures: number;
}

/** Options for a checker (tests inject the scheduler and probe). */
export interface HealthCheckerOptions {
  scheduler?: Scheduler;
  probe?: (t: ProbeTarget, cfg: HealthConfig['active']) => Promise<ProbeOutcome>;
  /** Called after an address changes state (logs, metrics). */
  onChange?: (entry: HealthEntry) => void;
}

type Event = 'success' | 'tcp_failure' | 'timeout' | 'http_failure';

function classify(side: CheckSide, status: number): Event | null {
  if (side.healthyStatuses.has(status)) return 'success';
  if (side.unhealthyStatuses.has(status)) return 'http_failure';
  return null;
}

/** Tracks the health of one upstream's addresses and runs its active probes. */
export class HealthChecker {
  /** True when the upstream configures no health checks (Kong's HEALTHCHECKS_OFF). */
  readonly off: boolean;
  private readonly entries = new Map<string, HealthEntry>();
  private readonly scheduler: Scheduler;
  private readonly probeFn: NonNullable<HealthCheckerOptions['probe']>;
  private readonly timers: { healthy: TimerHandle | null; unhealthy: TimerHandle | null } = {
    healthy: null,
    unhealthy: null,
  };
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    readonly config: HealthConfig,
    private readonly opts: HealthCheckerOptions = {},
  ) {
    this.off = healthchecksOff(config);
    this.scheduler = opts.scheduler ?? realScheduler;
    this.probeFn = opts.probe ?? realProbe;
  }

  /** Starts active probing (no-op when no interval is set). Idempotent. */
  start(): void {
    if (this.closed || !activeEnabled(this.config)) return;
    if (this.timers.healthy === null) this.schedule('healthy');
    if (this.timers.unhealthy === null) this.schedule('unhealthy');
  }

  /** Returns the entry of an address, creating it healthy when new (state survives target updates). */
  track(ip: string, port: number, hostname: string): HealthEntry {
    const key = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = {
        key,
        ip,
        port,
        hostname,
        healthy: true,
        successes: 0,
        tcpFailures: 0,
        timeouts: 0,
        httpFailures: 0,
      };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Keeps only the given entries (targets removed from config stop being probed). */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.entries.keys()) if (!keep.has(k)) this.entries.delete(k);
  }

  /** Every tracked entry. */
  list(): HealthEntry[] {
    return [...this.entries.values()];
  }

  /** Passive input from the proxy: an upstream status, a TCP failure or a timeout. */
  report(entry: HealthEntry, outcome: 'success' | 'failure' | 'timeout', status?: number): void {
    if (this.off) return;
    // A response status decides by the passive status lists whatever the outcome word says (a proxy
    // may call a 5xx a 'failure'); without a status, the outcome is a TCP failure or a timeout.
    let event: Event | null;
    if (status !== undefined) event = classify(this.config.passive, status);
    else if (outcome === 'failure') event = 'tcp_failure';
    else if (outcome === 'timeout') event = 'timeout';
    else event = 'success';
    if (event !== null) this.apply(entry, event, this.config.passive);
  }

  /** Forces a state (Kong's POST /upstreams/{u}/targets/{t}/healthy|unhealthy); counters reset. */
  setHealthy(entry: HealthEntry, healthy: boolean): void {
    this.reset(entry);
    if (entry.healthy !== healthy) {
      entry.healthy = healthy;
      this.opts.onChange?.(entry);
    }
  }

  /** Resolves when no probe round is running (tests await it after advancing the scheduler). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stops probing; in-flight probes finish but change nothing. */
  close(): void {
    this.closed = true;
    this.timers.healthy?.cancel();
    this.timers.unhealthy?.cancel();
    this.timers.healthy = null;
    this.timers.unhealthy = null;
  }

  private reset(e: HealthEntry): void {
    e.successes = 0;
    e.tcpFailures = 0;
    e.timeouts = 0;
    e.httpFailures = 0;
  }

  private apply(e: HealthEntry, event: Event, side: CheckSide): void {
    if (event === 'success') {
      e.tcpFailures = 0;
      e.timeouts = 0;
      e.httpFailures = 0;
      if (e.healthy) return;
      e.successes++;
      if (side.successes > 0 && e.successes >= side.successes) this.flip(e, true);
      return;
    }
    e.successes = 0;
    if (!e.healthy) return;
    let reached: boolean;
    if (event === 'tcp_failure') reached = side.tcpFailures > 0 && ++e.tcpFailures >= side.tcpFailures;
    else if (event === 'timeout') reached = side.timeouts > 0 && ++e.timeouts >= side.timeouts;
    else reached = side.httpFailures > 0 && ++e.httpFailures >= side.httpFailures;
    if (reached) this.flip(e, false);
  }

  private flip(e: HealthEntry, healthy: boolean): void {
    this.reset(e);
    e.healthy = healthy;
    this.opts.onChange?.(e);
  }

  private schedule(kind: 'healthy' | 'unhealthy'): void {
    const ms =
      kind === 'healthy' ? this.config.active.healthyIntervalMs : this.config.active.unhealthyIntervalMs;
    if (this.closed || ms <= 0) return;
    this.timers[kind] = this.scheduler.setTimer(() => {
      this.timers[kind] = null;
      const round = this.round(kind === 'healthy').finally(() => {
        this.inFlight.delete(round);
        // Next round only after this one ends: slow targets never pile up overlapping probes.
        if (!this.closed && this.timers[kind] === null) this.schedule(kind);
      });
      this.inFlight.add(round);
    }, ms);
  }

  private async round(healthy: boolean): Promise<void> {
    const due = this.list().filter((e) => e.healthy === healthy);
    const cfg = this.config.active;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const e = due[next++]!;
        let outcome: ProbeOutcome;
        try {
          outcome = await this.probeFn({ ip: e.ip, port: e.port, hostname: e.hostname }, cfg);
        } catch {
          outcome = { kind: 'tcp_failure' };
        }
        // A removed address or a closed checker must not be revived by a late probe.
        if (this.closed || this.entries.get(e.key) !== e) continue;
        if (outcome.kind === 'status') {
          const ev = classify(cfg, outcome.status);
          if (ev !== null) this.apply(e, ev, cfg);
        } else {
          this.apply(e, outcome.kind, cfg);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(cfg.concurrency, due.length) }, worker));
  }
}
