import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSchema } from '../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../test/postgres/pg-server.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { errorLines } from '../report-error.js';
import { migrationsCommand } from './migrations.js';

let server: PgServer;
let dir: string;

beforeAll(async () => {
  server = await startPgServer();
  dir = mkdtempSync(join(tmpdir(), 'hg-cli-migrations-'));
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `hybridgate migrations ...args` in-process the way main() does: output lines and an exit code. */
async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    cwd: dir,
    env: {},
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
  } as unknown as CliContext;
  const program = new Command('hybridgate').exitOverride();
  program.addCommand(migrationsCommand(ctx));
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    c.exitOverride().configureOutput({
      writeOut: (s) => void out.push(s),
      writeErr: (s) => void err.push(s),
    });
  }
  try {
    await program.parseAsync(['migrations', ...args], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, out, err };
    if ((e as { exitCode?: number }).exitCode !== undefined)
      return { code: (e as { exitCode: number }).exitCode, out, err };
    err.push(...errorLines(e));
    return { code: 1, out, err };
  }
}

function confFile(schema: string, extra = ''): string {
  const path = join(dir, `${schema}.conf`);
  writeFileSync(
    path,
    [
      'database = postgres',
      `pg_host = ${server.host}`,
      `pg_port = ${server.port}`,
      `pg_user = ${server.user}`,
      `pg_password = ${server.password}`,
      `pg_database = ${server.database}`,
      `pg_schema = ${schema}`,
      extra,
    ].join('\n'),
  );
  return path;
}

describe('hybridgate migrations', () => {
  it('status, bootstrap, up, reset with Kong’s messages and exit codes', async () => {
    const conf = confFile(freshSchema('cli'));
    expect(await run(['status', '-c', conf])).toEqual({
      code: 3,
      out: ["Database needs bootstrapping; run 'hybridgate migrations bootstrap'"],
      err: [],
    });
    const up = await run(['up', '-c', conf]);
    expect(up.code).toBe(1);
    expect(up.err).toEqual([
      "Error: Cannot run migrations: database needs bootstrapping; run 'hybridgate migrations bootstrap'",
    ]);
    const boot = await run(['bootstrap', '-c', conf]);
    expect(boot.code).toBe(0);
    expect(boot.out[0]).toBe('Bootstrapping database...');
    expect(boot.out.at(-1)).toBe('Database is up-to-date');
    expect(await run(['bootstrap', '-c', conf])).toEqual({
      code: 0,
      out: ['Database already bootstrapped'],
      err: [],
    });
    expect(await run(['up', '-c', conf, '--lock-timeout', '5'])).toEqual({
      code: 0,
      out: ['Database is already up-to-date'],
      err: [],
    });
    expect(await run(['list', '-c', conf])).toEqual({
      code: 0,
      out: ['Executed migrations:\n  hybridgate: 000_base', 'Database is up-to-date'],
      err: [],
    });
    expect((await run(['status', '-q', '-c', conf])).out).toEqual([]);
    const refused = await run(['reset', '-c', conf]);
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/run 'hybridgate migrations reset --yes' to confirm/);
    expect(await run(['reset', '--yes', '-c', conf])).toEqual({
      code: 0,
      out: ['Resetting database...', 'Database successfully reset'],
      err: [],
    });
    expect(await run(['reset', '-y', '-c', conf])).toEqual({
      code: 1,
      out: ['Database not bootstrapped, nothing to reset'],
      err: [],
    });
  });

  it('refuses a conf that is not on postgres, a bad timeout and an unreachable database', async () => {
    const lmdb = join(dir, 'lmdb.conf');
    writeFileSync(lmdb, 'database = lmdb\n');
    const wrong = await run(['status', '-c', lmdb]);
    expect(wrong.code).toBe(1);
    expect(wrong.err[0]).toMatch(/^Error: migrations need database = postgres \(database is 'lmdb'/);
    const badTimeout = await run(['up', '-c', lmdb, '--db-timeout', 'soon']);
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.err.join('')).toMatch(/expected a positive number of seconds, got 'soon'/);
    const down = confFile('cli_down', 'pg_port = 1');
    const unreachable = await run(['status', '-c', down]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err[0]).toMatch(
      /^Error: the database is unavailable \(connecting to run migrations\): .*ECONNREFUSED/,
    );
  });
});
