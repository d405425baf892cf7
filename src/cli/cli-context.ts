import type { EventEmitter } from 'node:events';
import type { Logger } from '../shared/logger.js';
import type { Conf } from '../runtime/config/conf/types.js';
import type { RunningNode } from '../runtime/start-node.js';

/**
 * What a CLI command may touch of the outside world. `main()` builds it from the process; tests build
 * it from buffers and an EventEmitter, so commands run in-process with nothing global changed.
 */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Streams for command output (stdout) and diagnostics and logs (stderr). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** One line to stdout / stderr. */
  out(line: string): void;
  err(line: string): void;
  /** Where SIGTERM and SIGINT arrive (the process, or an emitter in tests). */
  signals: Pick<EventEmitter, 'on' | 'off'>;
  /** Starts a node (src/runtime/start-node.ts unless a test substitutes it). */
  startNode(conf: Conf, logger: Logger): Promise<RunningNode>;
}

/**
 * Thrown to end the CLI with an exit code once everything has been printed; bin/hybridgate.js turns it
 * into process.exit, so nothing below main() ever calls process.exit itself.
 */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
    this.exitCode = exitCode;
  }
}

/** Builds the `out`/`err` line writers of a context from its streams. */
export function lineWriters(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream) {
  return {
    out: (line: string) => void stdout.write(`${line}\n`),
    err: (line: string) => void stderr.write(`${line}\n`),
  };
}
