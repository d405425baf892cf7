import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Multi-process suites run the built CLI as a user does (node bin/hybridgate.js), so they need dist/:
// `make test` builds it first. HG_TEST_CLI may point at the bin/hybridgate.js of another build tree
// (the convention of src/cli/cli-smoke.test.ts).

/** The CLI every helper spawns. */
export const CLI =
  process.env.HG_TEST_CLI ?? fileURLToPath(new URL('../../../bin/hybridgate.js', import.meta.url));

/** A log line of a node: pino JSON, or `{ msg: <raw text>, level: 0, raw: true }` for anything else. */
export type NodeLogLine = { msg: string; level: number; raw?: true; [k: string]: unknown };

/** A listener address from the "node started" line. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** How a node process ended. */
export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Thrown when a node does not do what a test waited for; carries the tail of its log. */
export class NodeProcessError extends Error {}

/** Every node spawned by this jest worker: stopAllNodes() ends them, the exit hook is the last resort. */
const live = new Set<NodeProcess>();
process.once('exit', () => {
  for (const node of live) node.child.kill('SIGKILL');
});

/**
 * The environment of a child: only PATH and HOME from the test runner, so HYBRIDGATE_/KONG_ variables
 * of the runner (make test sets HYBRIDGATE_TEST_BIN_DIR) never reach a node's conf.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (process.env.HOME) base.HOME = process.env.HOME;
  return { ...base, ...env };
}

/** Fails with a clear hint when dist/ is missing (the CLI imports it). */
function assertBuilt(): void {
  const main = join(dirname(CLI), '..', 'dist', 'cli', 'main.js');
  if (!existsSync(main)) {
    throw new NodeProcessError(`${main} is missing: run make build first (or set HG_TEST_CLI)`);
  }
}

/**
 * A `hybridgate` process: its stderr parsed into log lines, waits on those lines, and a stop that
 * always ends it (SIGTERM, then SIGKILL after a grace period).
 */
export class NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: NodeLogLine[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<NodeExit>;
  private exitInfo: NodeExit | null = null;
  private partial = '';
  private stdout = '';
  private readonly listeners = new Set<() => void>();

  constructor(name: string, args: string[], env: Record<string, string>) {
    assertBuilt();
    this.name = name;
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => this.onStderr(c.toString()));
    this.exited = new Promise<NodeExit>((resolve) => {
      this.child.once('error', (err) => {
        this.lines.push({ msg: `spawn error: ${err.message}`, level: 0, raw: true });
        this.exitInfo = { code: null, signal: null };
        live.delete(this);
        resolve(this.exitInfo);
      });
      // 'close' rather than 'exit': every line of stderr has been read by then.
      this.child.once('close', (code, signal) => {
        if (this.partial) this.push(this.partial);
        this.partial = '';
        this.exitInfo = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exitInfo);
      });
    });
  }

  /** The process id (for tests that check nothing is left behind). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How it ended, or null while it runs. */
  get exit(): NodeExit | null {
    return this.exitInfo;
  }

  /** What it wrote to stdout (commands such as gen_cert print there). */
  get output(): string {
    return this.stdout;
  }

  /** The last lines of its log, one per line, for error messages. */
  tail(n = 25): string {
    return this.lines
      .slice(-n)
      .map((l) => (l.raw ? l.msg : JSON.stringify(l)))
      .join('\n');
  }

  /** Lines whose msg equals `msg` (or matches it). */
  linesWith(msg: string | RegExp): NodeLogLine[] {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  }

  /**
   * Resolves with the first line (from `fromIndex` on, so a test can wait for a line *after* an action)
   * that satisfies `pred`. Rejects with the log tail on timeout, or when the process exits first.
   */
  waitForLine(
    pred: (line: NodeLogLine) => boolean,
    what: string,
    opts: { timeoutMs?: number; fromIndex?: number } = {},
  ): Promise<NodeLogLine> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    let scanned = opts.fromIndex ?? 0;
    return new Promise((resolve, reject) => {
      const finish = (err: Error | null, line?: NodeLogLine) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve(line!);
      };
      const check = () => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!;
          if (pred(line)) return finish(null, line);
        }
        if (this.exitInfo) {
          finish(this.failure(`exited (${describeExit(this.exitInfo)}) before ${what}`));
        }
      };
      const timer = setTimeout(
        () => finish(this.failure(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for a line whose msg equals `msg` (or matches it). */
  waitForMsg(
    msg: string | RegExp,
    opts: { timeoutMs?: number; fromIndex?: number } = {},
  ): Promise<NodeLogLine> {
    return this.waitForLine(
      (l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)),
      `log line "${String(msg)}"`,
      opts,
    );
  }

  /** Sends `signal` (SIGTERM by default), SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<NodeExit> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    if (signal === 'SIGKILL') return this.exited;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** An error naming this process, with the tail of its log. */
  failure(message: string): NodeProcessError {
    return new NodeProcessError(`${this.name} ${message}; the end of its log:\n${this.tail()}`);
  }

  private onStderr(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) this.push(p);
    this.notify();
  }

  private push(raw: string): void {
    let line: NodeLogLine;
    try {
      const parsed = JSON.parse(raw) as unknown;
      line =
        parsed !== null && typeof parsed === 'object' && typeof (parsed as NodeLogLine).msg === 'string'
          ? (parsed as NodeLogLine)
          : { msg: raw, level: 0, raw: true };
    } catch {
      line = { msg: raw, level: 0, raw: true };
    }
    this.lines.push(line);
    if (process.env.HG_TEST_LOG) process.stderr.write(`[${this.name}] ${raw}\n`);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** `exit code 1` or `signal SIGKILL`. */
export function describeExit(e: NodeExit): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${String(e.code)}`;
}

/** Stops every node still running (afterEach/afterAll): SIGTERM, SIGKILL after `graceMs`. */
export async function stopAllNodes(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((n) => n.stop('SIGTERM', graceMs)));
}
