import { Command, CommanderError } from 'commander';
import { startNode } from '../runtime/start-node.js';
import { CliExit, lineWriters, type CliContext } from './cli-context.js';
import { configCommand } from './commands/config.js';
import { hybridCommand } from './commands/hybrid-gen-cert.js';
import { migrationsCommand } from './commands/migrations.js';
import { operatorCommand } from './commands/operator.js';
import { pkiCommand } from './commands/pki.js';
import { startCommand } from './commands/start.js';
import { versionCommand } from './commands/version.js';
import { errorLines } from './report-error.js';

/**
 * The `hybridgate` CLI. Each subcommand lives in src/cli/commands/<name>.ts as a factory
 * `(ctx: CliContext) => Command`; adding one is one entry in COMMANDS. Errors end as `Error: ...` lines
 * on stderr and a thrown CliExit carrying the exit code (bin/hybridgate.js exits with it).
 */

/** The subcommands, in help order. */
const COMMANDS: ((ctx: CliContext) => Command)[] = [
  startCommand,
  configCommand,
  versionCommand,
  hybridCommand,
  pkiCommand,
  migrationsCommand,
  operatorCommand,
];

/** The context of a real run: this process's streams, environment and signals. */
function processContext(): CliContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    ...lineWriters(process.stdout, process.stderr),
    signals: process,
    startNode,
  };
}

// Commander's settings are not inherited by commands built elsewhere and added with addCommand.
function configureTree(cmd: Command, ctx: CliContext): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => void ctx.stdout.write(s),
    writeErr: (s) => void ctx.stderr.write(s),
  });
  for (const sub of cmd.commands) configureTree(sub, ctx);
}

/** Builds the program (exposed so tests can inspect the command tree). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('hybridgate')
    .description('Hybridgate: an API gateway in hybrid mode (control plane / data planes)')
    .showSuggestionAfterError();
  for (const make of COMMANDS) program.addCommand(make(ctx));
  configureTree(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (process.argv shape); throws CliExit with a non-zero code on failure. */
export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<void> {
  const base = { ...processContext(), ...overrides };
  // Line writers follow the streams unless a test gives its own.
  const writers = lineWriters(base.stdout, base.stderr);
  const ctx: CliContext = { ...base, out: overrides.out ?? writers.out, err: overrides.err ?? writers.err };
  // Commands written against process.exitCode (hybrid gen_cert) report through it; keep it scoped.
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  let failure: CliExit | null = null;
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'node' });
  } catch (err) {
    failure = toExit(err, ctx);
  }
  const code = process.exitCode;
  process.exitCode = exitCodeBefore;
  if (failure) throw failure;
  if (typeof code === 'number' && code !== 0) throw new CliExit(code);
}

/** Maps what a command threw to an exit, printing it unless it was already printed. */
function toExit(err: unknown, ctx: CliContext): CliExit | null {
  if (err instanceof CliExit) return err;
  if (err instanceof CommanderError) {
    // Help ends here with code 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? null : new CliExit(err.exitCode);
  }
  for (const line of errorLines(err)) ctx.err(line);
  return new CliExit(1);
}
