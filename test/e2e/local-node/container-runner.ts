import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { leftovers } from './last-resort.js';
import { ProbeLoop } from './probe-runner.js';
import type { Container } from './pod-types.js';

/** How to start the container's process this time (recomputed per start: env refs may have changed). */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A container state as the API writes it (exactly one key set). */
export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
      };
    };

/** What a runner needs from its pod. */
export interface RunnerOptions {
  container: Container;
  podIP: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** stdout/stderr of every start is appended here. */
  logPath: string;
  /** Grace of a SIGTERM before SIGKILL (liveness restarts). */
  graceMs: number;
  /** Builds the launch; throwing keeps the container waiting with the error as message, and retries. */
  prepare: () => Promise<Launch>;
  /** Something in the status changed (the pod worker writes it). */
  onStatus: () => void;
  /** Local node log line (lower case message, key=value). */
  log: (msg: string) => void;
  /** An init container runs once to exit 0 and is not restarted after it. */
  init?: boolean;
}

const MAX_BACKOFF_MS = 10_000;
const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * One container's process and the kubelet's loop around it: start it (through the pod's wrapper),
 * probe it (startup, then liveness and readiness), restart it per restartPolicy with a doubling
 * back-off, count restarts, and keep the state the pod's containerStatuses report.
 */
export class ContainerRunner {
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | Record<string, never> = {};
  restartCount = 0;
  ready = false;
  started = false;
  containerID = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private probes: ProbeLoop[] = [];
  private stopping = false;
  private failuresInRow = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Resolves when an init container has succeeded. */
  readonly succeeded: Promise<void>;
  private markSucceeded!: () => void;

  constructor(private readonly opts: RunnerOptions) {
    this.succeeded = new Promise((r) => (this.markSucceeded = r));
  }

  /** The container's name. */
  get name(): string {
    return this.opts.container.name;
  }

  /** Starts the first run. */
  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.stopping) return;
    let launch: Launch;
    try {
      launch = await this.opts.prepare();
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? 'CreateContainerConfigError';
      this.setState({ waiting: { reason, message: (err as Error).message } });
      this.opts.log(
        `container cannot start container=${this.name} reason=${reason} error=${JSON.stringify((err as Error).message)}`,
      );
      this.retryLater();
      return;
    }
    if (this.stopping) return;
    const fd = openSync(this.opts.logPath, 'a');
    const startedAt = new Date().toISOString();
    writeSync(fd, `--- local node: ${startedAt} starting container ${this.name} ---\n`);
    const child = spawn(launch.command, launch.args, { env: launch.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const pid = child.pid;
    if (pid !== undefined) leftovers.add('pids', pid);
    this.child = child;
    this.containerID = `local://${child.pid ?? 'none'}`;
    this.started = false;
    this.ready = false;
    this.setState({ running: { startedAt } });
    this.opts.log(`container started container=${this.name} pid=${child.pid}`);
    this.exited = new Promise<void>((resolve) => {
      if (pid !== undefined) child.once('exit', () => leftovers.delete('pids', pid));
      child.once('error', (err) => {
        this.onExit(startedAt, 128, undefined, `spawn failed: ${err.message}`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.onExit(startedAt, code ?? 128 + (signal ? (signals[signal] ?? 0) : 0), signal ?? undefined);
        resolve();
      });
    });
    this.startProbes();
  }

  private startProbes(): void {
    const { container, podIP } = this.opts;
    const mainProbes = () => {
      this.started = true;
      if (container.livenessProbe)
        this.probes.push(
          new ProbeLoop(container.livenessProbe, container, podIP, (ok, message) => {
            if (!ok) void this.restartUnhealthy('liveness', message);
          }),
        );
      if (container.readinessProbe)
        this.probes.push(
          new ProbeLoop(container.readinessProbe, container, podIP, (ok) => {
            this.ready = ok;
            this.opts.onStatus();
          }),
        );
      else this.ready = true;
      this.opts.onStatus();
    };
    if (container.startupProbe) {
      this.probes.push(
        new ProbeLoop(container.startupProbe, container, podIP, (ok, message) => {
          if (ok) {
            this.probes.shift()?.stop();
            mainProbes();
          } else void this.restartUnhealthy('startup', message);
        }),
      );
    } else mainProbes();
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private async restartUnhealthy(which: string, message: string): Promise<void> {
    this.opts.log(
      `container unhealthy, restarting container=${this.name} probe=${which} message=${JSON.stringify(message)}`,
    );
    this.stopProbes();
    await this.kill(this.opts.graceMs);
  }

  private onExit(startedAt: string, exitCode: number, signal?: string, message?: string): void {
    this.stopProbes();
    this.child = undefined;
    this.ready = false;
    const finishedAt = new Date().toISOString();
    const terminated: ContainerState = {
      terminated: {
        exitCode,
        ...(signal ? { signal: signals[signal] ?? 0 } : {}),
        reason: exitCode === 0 ? 'Completed' : 'Error',
        ...(message ? { message } : {}),
        startedAt,
        finishedAt,
      },
    };
    this.opts.log(
      `container exited container=${this.name} exitCode=${exitCode}${signal ? ` signal=${signal}` : ''}`,
    );
    const ranLong = Date.now() - Date.parse(startedAt) > 10_000;
    this.failuresInRow = ranLong ? 0 : this.failuresInRow + 1;
    if (this.opts.init && exitCode === 0) {
      this.setState(terminated);
      this.markSucceeded();
      return;
    }
    const restart =
      !this.stopping &&
      (this.opts.restartPolicy === 'Always' || (this.opts.restartPolicy === 'OnFailure' && exitCode !== 0));
    if (!restart) {
      this.setState(terminated);
      return;
    }
    this.lastState = terminated;
    this.setState({
      waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting container ${this.name}` },
    });
    this.retryLater(() => this.restartCount++);
  }

  private retryLater(before?: () => void): void {
    if (this.stopping) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.failuresInRow, 10));
    this.retryTimer = setTimeout(() => {
      before?.();
      void this.run();
    }, delay);
  }

  private setState(state: ContainerState): void {
    this.state = state;
    this.opts.onStatus();
  }

  /** SIGTERM, then SIGKILL once `graceMs` passed without an exit; resolves when the process is gone. */
  private async kill(graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, graceMs);
    });
    await Promise.race([this.exited, deadline]);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops for good (pod deletion): no restart; SIGTERM, the grace, then SIGKILL. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopProbes();
    await this.kill(graceMs);
  }

  /** The API's containerStatuses entry. */
  status(image: string): Record<string, unknown> {
    return {
      name: this.name,
      image,
      imageID: `local://${image}`,
      ...(this.containerID ? { containerID: this.containerID } : {}),
      state: this.state,
      lastState: this.lastState,
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
    };
  }
}
