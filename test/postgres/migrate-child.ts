import { bootstrap, up } from '../../src/runtime/control-plane/store/postgres/migrations.js';
import type { PostgresConnection } from '../../src/runtime/control-plane/store/postgres/pg-options.js';
import { MIGRATIONS } from '../../src/runtime/control-plane/store/postgres/schema.js';

// A second process running migrations, for the concurrency test: `argv[2]` is bootstrap or up, the
// connection comes as JSON in HG_TEST_PG. One extra migration is not idempotent (a plain CREATE TABLE),
// so running it twice would fail: both processes succeeding proves it ran once.
const command = process.argv[2];
const connection = JSON.parse(process.env.HG_TEST_PG ?? '{}') as PostgresConnection;
const migrations = [...MIGRATIONS, { name: '001_test_once', up: 'CREATE TABLE test_once (x int)' }];
const lines: string[] = [];
const opts = { connection, migrations, lockTimeoutS: 30, log: (l: string) => lines.push(l) };
try {
  const state = command === 'bootstrap' ? await bootstrap(opts) : await up(opts);
  process.stdout.write(`${JSON.stringify({ ok: true, state, lines })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message, lines })}\n`);
  process.exitCode = 1;
}
