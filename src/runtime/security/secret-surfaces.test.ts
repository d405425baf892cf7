import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { main } from '../../cli/main.js';
import { createLogger } from '../../shared/logger.js';
import { loadConf } from '../config/conf/load-conf.js';
import { startControlPlane, type ControlPlane } from '../control-plane/start-control-plane.js';
import { generateSharedClusterCertificate } from '../pki/shared-cluster-cert.js';

/**
 * Plants secrets in every secret property (pg_password, cluster_cert_key given inline, an Admin API
 * token) and greps every surface that prints configuration or logs for them: `GET /`, `GET /config`,
 * `GET /status`, error bodies, `hybridgate start --dump-config` (stdout and stderr), and every log line
 * of a control plane at debug level from start to stop. Also checks that generated private keys are
 * written 0600.
 */

const PG_PASSWORD = 'pg-pw-PLANTED-7f3a9c';
const TOKEN = 'admin-token-PLANTED-0123456789abcdef';
const pair = generateSharedClusterCertificate({ days: 2 });
// The base64 body of the key: what would leak if the PEM were printed in any wrapping.
const KEY_BODY_LINES = pair.keyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

let dir: string;
let tokensFile: string;
const logs: string[] = [];
let cp: ControlPlane;
const agent = new Agent({ connect: { rejectUnauthorized: false } });

function overrides(prefix: string): Record<string, string> {
  return {
    prefix,
    role: 'control_plane',
    cluster_cert: pair.certPem,
    cluster_cert_key: pair.keyPem,
    pg_password: PG_PASSWORD,
    admin_auth: 'token',
    admin_auth_tokens_file: tokensFile,
    admin_listen: '127.0.0.1:0, 127.0.0.1:0 ssl',
    lmdb_map_size: '64m',
    log_level: 'debug',
  };
}

function expectNoSecret(surface: string, text: string): void {
  for (const secret of [PG_PASSWORD, TOKEN, ...KEY_BODY_LINES]) {
    if (text.includes(secret))
      throw new Error(`${surface} shows a planted secret (${secret.slice(0, 12)}...)`);
  }
}

async function get(base: string, path: string, token: string | null = TOKEN): Promise<string> {
  const res = await request(`${base}${path}`, {
    dispatcher: agent,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return `${res.statusCode} ${JSON.stringify(res.headers)} ${await res.body.text()}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hg-secrets-'));
  tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `# planted\n${TOKEN}\n`, { mode: 0o600 });
  const { conf, warnings } = loadConf({ env: {}, overrides: overrides(join(dir, 'prefix')) });
  const destination = new Writable({
    write(chunk, _e, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ component: 'control-plane', level: 'debug', destination });
  for (const w of warnings) logger.warn({ source: 'conf' }, w);
  // A log call that hands the whole conf to pino, as a careless caller might: redaction must hold.
  logger.debug({ conf: { pg_password: conf.pg_password, cluster_cert_key: conf.cluster_cert_key } }, 'conf');
  cp = await startControlPlane(conf, logger);
});
afterAll(async () => {
  await cp?.close();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets on every output surface', () => {
  it('GET /, /config, /status and error bodies, on plain and TLS listeners, with and without the token', async () => {
    for (const addr of cp.admin.addresses) {
      const base = `${addr.ssl ? 'https' : 'http'}://127.0.0.1:${addr.port}`;
      const root = await get(base, '/');
      expect(root).toMatch(/^200 /);
      // The secrets are there, masked: the redaction ran, not a missing property.
      expect(root).toContain('"pg_password":"******"');
      expect(root).toContain('"cluster_cert_key":"******"');
      expect(root).toContain(`"admin_auth_tokens_file":"${tokensFile}"`);
      expectNoSecret(`GET / on ${base}`, root);
      for (const path of ['/config', '/config?format=yaml', '/status', '/nope', '/services/%00']) {
        expectNoSecret(`GET ${path}`, await get(base, path));
      }
      expectNoSecret('a refused request', await get(base, '/', `${TOKEN}x`));
      expectNoSecret('a request without a token', await get(base, '/', null));
    }
  });

  it('every log line from start to now', () => {
    expect(logs.length).toBeGreaterThan(3);
    expect(logs.join('')).toContain('"pg_password":"******"');
    expectNoSecret('the logs', logs.join(''));
  });

  it('hybridgate start --dump-config, from the environment and from a conf file', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(overrides(join(dir, 'dump'))))
      env[`HYBRIDGATE_${k.toUpperCase()}`] = v;
    await main(['node', 'hybridgate', 'start', '--dump-config'], {
      env,
      cwd: dir,
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    const dumped = JSON.parse(out.join('\n')) as Record<string, unknown>;
    expect(dumped.pg_password).toBe('******');
    expect(dumped.cluster_cert_key).toBe('******');
    expectNoSecret('--dump-config (env)', out.join('\n') + err.join('\n'));

    const file = join(dir, 'node.conf');
    writeFileSync(
      file,
      `role = control_plane\nprefix = ${join(dir, 'dump')}\npg_password = ${PG_PASSWORD}\n` +
        `cluster_cert_key = ${Buffer.from(pair.keyPem).toString('base64')}\ncluster_cert = ${Buffer.from(pair.certPem).toString('base64')}\n` +
        `admin_auth = token\nadmin_auth_tokens_file = ${tokensFile}\nunknown_secretish = ${PG_PASSWORD}x\n`,
    );
    out.length = 0;
    err.length = 0;
    await main(['node', 'hybridgate', 'start', '--dump-config', '-c', file], {
      env: {},
      cwd: dir,
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    const base64Key = Buffer.from(pair.keyPem).toString('base64');
    const text = out.join('\n') + err.join('\n');
    expect(text).not.toContain(base64Key.slice(0, 40));
    expectNoSecret('--dump-config (file)', text);
  });

  it('writes generated private keys 0600 in a 0700 directory', () => {
    const ssl = join(dir, 'prefix', 'ssl');
    expect(statSync(ssl).mode & 0o777).toBe(0o700);
    const keys = readdirSync(ssl).filter((f) => f.endsWith('.key'));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect([k, statSync(join(ssl, k)).mode & 0o777]).toEqual([k, 0o600]);
  });
});
