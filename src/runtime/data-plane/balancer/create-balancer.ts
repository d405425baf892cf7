/**
 * Builds the balancer of one upstream: targets → resolved addresses (each with a health entry) →
 * the upstream's algorithm. Hostnames are resolved at build time and again every `dnsRefreshMs`
 * (dns.lookup gives no TTL, so a fixed refresh stands in for it); an address keeps its health and
 * in-flight count across refreshes and target updates. Weight 0 disables a target.
 */
import { isIP } from 'node:net';
import { HealthChecker, type HealthCheckerOptions } from '../healthcheck/health-checker.js';
import { readHealthConfig } from '../healthcheck/health-config.js';
import { realScheduler, type Scheduler, type TimerHandle } from '../healthcheck/scheduler.js';
import type { Address } from './address.js';
import type {
  Balancer,
  Outcome,
  PickContext,
  Target,
  TargetEntity,
  TargetHealth,
  TargetHealthState,
} from './balancer.js';
import { ConsistentHashing } from './consistent-hashing.js';
import { hashKey, readHashSpec } from './hash-key.js';
import { LeastConnections } from './least-connections.js';
import { parseTarget } from './parse-target.js';
import { systemResolver, type HostResolver } from './resolve-host.js';
import { RoundRobin } from './round-robin.js';

/** Options for createBalancer (tests inject scheduler, resolver and probe). */
export interface BalancerOptions {
  scheduler?: Scheduler;
  resolve?: HostResolver;
  dnsRefreshMs?: number;
  /** A checker to use instead of one built from upstream.healthchecks. */
  healthChecker?: HealthChecker;
  probe?: HealthCheckerOptions['probe'];
  onHealthChange?: HealthCheckerOptions['onChange'];
}

/** A balancer plus what its owner needs around it. */
export interface UpstreamBalancer extends Balancer {
  /** Resolves when every target's first DNS resolution has finished (ok or not). */
  ready(): Promise<void>;
  /** The upstream's checker (manual healthy/unhealthy, tests). */
  readonly checker: HealthChecker;
  /** Upstream-level health (Kong's `?balancer_health=1`): below `threshold` % healthy weight = UNHEALTHY. */
  balancerHealth(): TargetHealthState;
}

interface TargetState {
  entity: TargetEntity;
  host: string;
  port: number;
  weight: number;
  addresses: Address[];
  dnsError: boolean;
}

/** Creates the balancer for an upstream entity and its targets. */
export function createBalancer(
  upstream: Record<string, unknown>,
  targets: readonly TargetEntity[],
  opts: BalancerOptions = {},
): UpstreamBalancer {
  const scheduler = opts.scheduler ?? realScheduler;
  const resolve = opts.resolve ?? systemResolver;
  const refreshMs = opts.dnsRefreshMs ?? 60_000;
  const health = readHealthConfig(upstream.healthchecks as Record<string, unknown> | undefined);
  const checker =
    opts.healthChecker ??
    new HealthChecker(health, { scheduler, probe: opts.probe, onChange: opts.onHealthChange });
  const algorithm = String(upstream.algorithm ?? 'round-robin');
  const spec = readHashSpec(upstream);
  const slots = typeof upstream.slots === 'number' ? upstream.slots : 10_000;

  let states: TargetState[] = [];
  let all: Address[] = [];
  const byPeer = new Map<Target, Address>();
  const known = new Map<string, Address>();
  const rr = new RoundRobin([]);
  const lc = new LeastConnections([]);
  const ch = algorithm === 'consistent-hashing' ? new ConsistentHashing([], slots) : null;
  let refreshTimer: TimerHandle | null = null;
  let pending: Promise<void> = Promise.resolve();
  let closed = false;

  function makeAddress(t: TargetState, ip: string): Address {
    const key = `${t.entity.id}|${ip}|${t.port}|${t.weight}`;
    let a = known.get(key);
    if (a === undefined) {
      a = {
        peer: { host: ip, port: t.port, id: t.entity.id, target: String(t.entity.target), weight: t.weight },
        weight: t.weight,
        health: checker.track(ip, t.port, t.host),
        active: 0,
        current: 0,
      };
    }
    return a;
  }

  function rebuild(): void {
    all = states.flatMap((t) => t.addresses);
    known.clear();
    byPeer.clear();
    for (const a of all) {
      known.set(`${a.peer.id}|${a.peer.host}|${a.peer.port}|${a.weight}`, a);
      byPeer.set(a.peer, a);
    }
    checker.retain(new Set(all.map((a) => a.health.key)));
    rr.update(all);
    lc.update(all);
    ch?.update(all);
  }

  async function resolveTarget(t: TargetState): Promise<void> {
    try {
      const ips = await resolve(t.host);
      if (closed || !states.includes(t)) return;
      t.dnsError = ips.length === 0;
      t.addresses = ips.map((ip) => makeAddress(t, ip));
    } catch {
      if (closed || !states.includes(t)) return;
      // Keep serving the last good addresses; the error shows in health() until a refresh works.
      t.dnsError = true;
    }
    rebuild();
  }

  function scheduleRefresh(): void {
    refreshTimer?.cancel();
    refreshTimer = null;
    if (closed || !states.some((t) => isIP(t.host) === 0)) return;
    refreshTimer = scheduler.setTimer(() => {
      refreshTimer = null;
      pending = Promise.all(states.filter((t) => isIP(t.host) === 0).map(resolveTarget)).then(
        scheduleRefresh,
      );
    }, refreshMs);
  }

  function update(list: readonly TargetEntity[]): void {
    const previous = new Map(states.map((t) => [t.entity.id + '|' + t.entity.target, t]));
    states = list.map((entity) => {
      const { host, port } = parseTarget(String(entity.target));
      const weight = typeof entity.weight === 'number' ? entity.weight : 100;
      const old = previous.get(entity.id + '|' + entity.target);
      const t: TargetState = { entity, host, port, weight, addresses: [], dnsError: false };
      if (isIP(host) !== 0) t.addresses = [makeAddress(t, host)];
      else if (old !== undefined && old.weight === weight) t.addresses = old.addresses;
      return t;
    });
    rebuild();
    const names = states.filter((t) => isIP(t.host) === 0);
    pending = Promise.all(names.map(resolveTarget)).then(() => undefined);
    scheduleRefresh();
  }

  function find(target: Target): Address | undefined {
    const a = byPeer.get(target);
    if (a !== undefined) return a;
    return all.find(
      (x) =>
        x.peer.host === target.host &&
        x.peer.port === target.port &&
        (target.id === undefined || x.peer.id === target.id),
    );
  }

  function healthyShare(): number {
    let total = 0;
    let up = 0;
    for (const a of all) {
      total += a.weight;
      if (a.health.healthy) up += a.weight;
    }
    return total === 0 ? 0 : (up * 100) / total;
  }

  update(targets);
  checker.start();

  return {
    checker,
    update,
    ready: () => pending,
    pick(ctx: PickContext): Target | null {
      if (health.threshold > 0 && !checker.off && healthyShare() < health.threshold) return null;
      let a: Address | null;
      if (algorithm === 'least-connections') a = lc.pick(ctx);
      else if (ch !== null) {
        const key = hashKey(ctx, spec);
        a = key === null ? rr.pick(ctx) : ch.pick(key, ctx);
      } else a = rr.pick(ctx);
      return a === null ? null : a.peer;
    },
    report(target: Target, outcome: Outcome, status?: number): void {
      const a = find(target);
      if (a !== undefined) checker.report(a.health, outcome, status);
    },
    release(target: Target): void {
      const a = find(target);
      if (a !== undefined && a.active > 0) a.active--;
    },
    health(): TargetHealth[] {
      return states.map((t) => {
        const addresses = t.addresses.map((a) => ({
          ip: a.peer.host,
          port: a.peer.port,
          weight: a.weight,
          health: (checker.off
            ? 'HEALTHCHECKS_OFF'
            : a.health.healthy
              ? 'HEALTHY'
              : 'UNHEALTHY') as TargetHealthState,
        }));
        let state: TargetHealthState;
        if (t.dnsError && addresses.length === 0) state = 'DNS_ERROR';
        else if (checker.off) state = 'HEALTHCHECKS_OFF';
        else state = addresses.some((a) => a.health === 'HEALTHY') ? 'HEALTHY' : 'UNHEALTHY';
        return {
          id: t.entity.id,
          target: String(t.entity.target),
          weight: t.weight,
          health: state,
          addresses,
        };
      });
    },
    balancerHealth(): TargetHealthState {
      if (checker.off) return 'HEALTHCHECKS_OFF';
      return healthyShare() >= Math.max(health.threshold, Number.MIN_VALUE) ? 'HEALTHY' : 'UNHEALTHY';
    },
    close(): void {
      closed = true;
      refreshTimer?.cancel();
      refreshTimer = null;
      checker.close();
    },
  };
}
