import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';

/** Every process any harness in this jest worker started, killed on exit if a test forgot (or crashed). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A child process whose stdout/stderr go to a log file (read back into errors when it fails to start)
 * and that is stopped with SIGTERM, then SIGKILL after a grace period.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private exited: Promise<void>;
  private exitInfo: string | undefined;

  constructor(name: string, command: string, args: string[], logPath: string, env?: NodeJS.ProcessEnv) {
    this.name = name;
    this.logPath = logPath;
    const log = createWriteStream(logPath);
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    live.add(this.child);
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        live.delete(this.child);
        resolve();
      });
      this.child.once('error', (err) => {
        this.exitInfo = `spawn error: ${err.message}`;
        live.delete(this.child);
        resolve();
      });
    }).then(async () => {
      await new Promise<void>((r) => log.end(r));
    });
  }

  /** Why the process is gone (`exit code 1`, `signal SIGTERM`), or undefined while it runs. */
  get exitReason(): string | undefined {
    return this.exitInfo;
  }

  /** The last lines of its log, for error messages. */
  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitInfo === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  /** Resolves when the process exits (used to fail fast while waiting for readiness). */
  async whenExited(): Promise<string> {
    if (this.child.exitCode === null && this.exitInfo === undefined)
      await once(this.child, 'exit').catch(() => {});
    await this.exited;
    return this.exitInfo ?? 'exited';
  }
}
