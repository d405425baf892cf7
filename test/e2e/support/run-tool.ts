import { execFile } from 'node:child_process';

/** A command-line tool exited non-zero or timed out; the message carries its stderr. */
export class ToolError extends Error {
  /** `command` is the program and arguments; `stderr` what it said. */
  constructor(
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (${exitCode ?? 'killed'}): ${stderr.trim().slice(0, 4_000)}`);
    this.name = 'ToolError';
  }
}

/**
 * Runs `bin args` (no shell), feeding `input` on stdin, and resolves with stdout; rejects with a
 * ToolError carrying stderr on a non-zero exit or when `timeoutMs` passes (the child is killed).
 */
export function runTool(
  bin: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const why = e.killed ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : (e.code ?? null);
          reject(new ToolError(`${bin} ${args.join(' ')}`, why, stderr || e.message));
        } else resolve(stdout);
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}
