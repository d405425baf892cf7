import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp dir, `pg_ctl start` on a free loopback
 * port (unix socket in the temp dir, never the system's), `stop()`/`start()` to simulate an outage on the
 * same port, `close()` to stop it and remove everything. PostgreSQL refuses to run as root, so as root
 * the data dir is handed to the `postgres` user and every binary runs through `runuser`.
 * `hack/install-postgres.sh` installs the binaries (`make test` runs it).
 */

const run = promisify(execFile);
const USER = 'hybridgate';

/** A running test server and how to reach it. */
export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The database created for the tests (apart from the `postgres` maintenance one). */
  database: string;
  /** Stops the server (fast shutdown: clients are disconnected), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops it and removes its directory; safe to call twice. */
  close(): Promise<void>;
  /** A client on `database` (or another one), for test set-up and inspection. */
  client(database?: string): Promise<pg.Client>;
}

/** The newest /usr/lib/postgresql/<major>/bin holding initdb, pg_ctl and postgres, or null. */
export function findPgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => /^\d+(\.\d+)?$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(bin, b)))) return bin;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) {
    throw new Error(
      'running as root but there is no postgres user to run PostgreSQL as (install postgresql)',
    );
  }
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Starts a fresh server; throws with the server log when it cannot. */
export async function startPgServer(): Promise<PgServer> {
  const bin = findPgBinDir();
  if (!bin) {
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql: run hack/install-postgres.sh');
  }
  const owner = postgresUid();
  const dir = mkdtempSync(join(tmpdir(), 'hg-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pwFile = join(dir, 'pw');
  const password = randomBytes(12).toString('hex');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwFile, owner.uid, owner.gid);
  }
  chmodSync(dir, 0o700);
  const exec = async (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    return owner ? run('runuser', ['-u', 'postgres', '--', full, ...args]) : run(full, args);
  };
  const serverLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '(no log)');

  // TCP needs the password (scram) so pg_password is exercised; the private socket dir trusts.
  await exec('initdb', [
    '-D',
    dataDir,
    '-U',
    USER,
    `--pwfile=${pwFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  rmSync(pwFile, { force: true });

  let port = 0;
  let running = false;
  const startOnce = async () => {
    const opts = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      // Throwaway data: durability off keeps the suites fast on a shared machine.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    await exec('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', opts]);
    running = true;
  };
  const stopOnce = async (mode: 'fast' | 'immediate') => {
    if (!running) return;
    await exec('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '30']);
    running = false;
  };

  // A port found free can be taken before postgres binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await startOnce();
      break;
    } catch (err) {
      if (attempt >= 2) {
        const log = serverLog();
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`postgres did not start: ${(err as Error).message}\n${log}`, { cause: err });
      }
    }
  }
  // If the test process dies without afterAll, do not leave a server behind.
  const onExit = () => {
    if (!running) return;
    const full = join(bin, 'pg_ctl');
    const args = ['stop', '-D', dataDir, '-m', 'immediate', '-w'];
    if (owner) spawnSync('runuser', ['-u', 'postgres', '--', full, ...args]);
    else spawnSync(full, args);
  };
  process.once('exit', onExit);

  const database = 'hybridgate_test';
  const client = async (db = database) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: db });
    await c.connect();
    return c;
  };
  const admin = await client('postgres');
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }

  let closed = false;
  return {
    host: '127.0.0.1',
    port,
    user: USER,
    password,
    database,
    client,
    stop: () => stopOnce('fast'),
    start: async () => {
      if (!running) await startOnce();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await stopOnce('fast');
      } finally {
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
