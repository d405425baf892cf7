import { Command, InvalidArgumentError } from 'commander';
import { loadConf } from '../../runtime/config/conf/load-conf.js';
import { ConfError } from '../../runtime/errors.js';
import {
  bootstrap,
  MigrationError,
  reset,
  schemaState,
  SUBSYSTEM,
  up,
  type MigrationOptions,
  type SchemaState,
} from '../../runtime/control-plane/store/postgres/migrations.js';
import { postgresConnectionFromConf } from '../../runtime/control-plane/store/postgres/pg-options.js';
import { CliExit, type CliContext } from '../cli-context.js';

/**
 * `hybridgate migrations bootstrap | up | status | reset` (Kong's `kong migrations`), for a control
 * plane on `database = postgres`. Safe to run from several nodes at once (advisory lock). Exit codes of
 * `status` follow `kong migrations list`: 0 up to date, 3 needs bootstrap, 5 new migrations available.
 */

/** `status` exit codes (Kong's `kong migrations list`). */
export const STATUS_EXIT = { upToDate: 0, needsBootstrap: 3, newMigrations: 5 } as const;

interface CommonOptions {
  conf?: string;
  dbTimeout: number;
  lockTimeout: number;
  quiet?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number of seconds, got '${value}'`);
  return n;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('-c, --conf <file>', 'configuration file (database = postgres and the pg_* properties)')
    .option('--db-timeout <seconds>', 'timeout, in seconds, for every database operation', seconds, 60)
    .option('--lock-timeout <seconds>', 'seconds to wait for another node running migrations', seconds, 60)
    .option('-q, --quiet', 'suppress all output');
}

function migrationOptions(ctx: CliContext, opts: CommonOptions): MigrationOptions {
  const { conf } = loadConf({ ...(opts.conf ? { file: opts.conf } : {}), env: ctx.env, cwd: ctx.cwd });
  if (conf.database !== 'postgres') {
    throw new ConfError(
      `migrations need database = postgres (database is '${conf.database}'; the embedded ${conf.database} store has no schema to migrate)`,
      { database: conf.database },
    );
  }
  return {
    connection: postgresConnectionFromConf(conf),
    dbTimeoutS: opts.dbTimeout,
    lockTimeoutS: opts.lockTimeout,
    log: opts.quiet ? () => undefined : (line) => ctx.out(line),
  };
}

function printState(out: (line: string) => void, state: SchemaState): void {
  if (state.executed.length > 0) out(`Executed migrations:\n  ${SUBSYSTEM}: ${state.executed.join(', ')}`);
  if (state.unknown.length > 0) {
    out(
      `Migrations unknown to this version (the database was migrated by a newer one):\n  ${SUBSYSTEM}: ${state.unknown.join(', ')}`,
    );
  }
  if (state.newMigrations.length > 0) {
    out(`New migrations available:\n  ${SUBSYSTEM}: ${state.newMigrations.join(', ')}`);
    out("Run 'hybridgate migrations up' to proceed");
  } else {
    out('Database is up-to-date');
  }
}

/** The `migrations` command group. */
export function migrationsCommand(ctx: CliContext): Command {
  const cmd = new Command('migrations').description(
    'manage the PostgreSQL database schema (database = postgres)',
  );

  withCommon(cmd.command('bootstrap').description('bootstrap the database and run all migrations')).action(
    async (opts: CommonOptions) => {
      await bootstrap(migrationOptions(ctx, opts));
    },
  );

  withCommon(cmd.command('up').description('run any new migrations')).action(async (opts: CommonOptions) => {
    await up(migrationOptions(ctx, opts));
  });

  withCommon(
    cmd
      .command('status')
      .alias('list')
      .description(
        `list executed and new migrations (exit ${STATUS_EXIT.needsBootstrap}: needs bootstrap, ${STATUS_EXIT.newMigrations}: new migrations)`,
      ),
  ).action(async (opts: CommonOptions) => {
    const options = migrationOptions(ctx, opts);
    const out = opts.quiet ? () => undefined : (line: string) => ctx.out(line);
    const state = await schemaState(options);
    if (state.needsBootstrap) {
      out("Database needs bootstrapping; run 'hybridgate migrations bootstrap'");
      throw new CliExit(STATUS_EXIT.needsBootstrap);
    }
    printState(out, state);
    if (state.newMigrations.length > 0) throw new CliExit(STATUS_EXIT.newMigrations);
  });

  withCommon(
    cmd
      .command('reset')
      .description('erase all of the data and the schema (irreversible)')
      .option('-y, --yes', 'confirm: run without asking'),
  ).action(async (opts: CommonOptions & { yes?: boolean }) => {
    if (!opts.yes) {
      // No prompt: the CLI runs in containers and jobs; an explicit flag is the confirmation.
      throw new MigrationError(
        "reset erases every entity in the database: run 'hybridgate migrations reset --yes' to confirm",
      );
    }
    const done = await reset(migrationOptions(ctx, opts));
    if (!done) throw new CliExit(1);
  });

  return cmd;
}
