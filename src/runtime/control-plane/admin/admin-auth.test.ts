import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { createLogger } from '../../../shared/logger.js';
import { ConfError } from '../../errors.js';
import { loadConf } from '../../config/conf/load-conf.js';
import { makeTestCertificates } from '../../config/conf/test-certificates.js';
import { startControlPlane, type ControlPlane } from '../start-control-plane.js';
import { AdminTokensError, parseTokensText } from './admin-tokens.js';

const TOKEN_A = 'tok-A-0123456789abcdef0123456789';
const TOKEN_B = 'tok-B-fedcba9876543210fedcba9876';
const TOKEN_C = 'tok-C-55555555555555555555555555';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-auth-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A tokens file laid out like a Kubernetes Secret mount: `tokens` -> `..data/tokens`, `..data` a
 * symlink to a timestamped directory, and an update swaps `..data` atomically (what kubelet does).
 */
function secretMount(dir: string, text: string): { file: string; update(text: string): void } {
  let generation = 0;
  const write = (content: string) => {
    const gen = join(dir, `..gen${++generation}`);
    mkdirSync(gen, { recursive: true });
    writeFileSync(join(gen, 'tokens'), content, { mode: 0o600 });
    const tmp = join(dir, `..data_tmp${generation}`);
    symlinkSync(gen, tmp);
    renameSync(tmp, join(dir, '..data'));
  };
  write(text);
  symlinkSync(join(dir, '..data', 'tokens'), join(dir, 'tokens'));
  return { file: join(dir, 'tokens'), update: write };
}

const agent = new Agent({ keepAliveTimeout: 10 });
afterAll(() => agent.close());

async function call(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'POST' = 'GET',
  body?: string,
  dispatcher: Agent = agent,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const res = await request(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    dispatcher,
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

async function startCp(overrides: Record<string, string>, logSink?: string[]): Promise<ControlPlane> {
  const prefix = tempDir();
  const { conf } = loadConf({
    env: {},
    overrides: {
      prefix,
      role: 'traditional',
      admin_listen: '127.0.0.1:0',
      lmdb_map_size: '64m',
      ...overrides,
    },
  });
  const destination = new Writable({
    write(chunk, _e, cb) {
      logSink?.push(String(chunk));
      cb();
    },
  });
  const cp = await startControlPlane(conf, createLogger({ component: 'test', level: 'debug', destination }));
  cleanups.push(() => cp.close());
  return cp;
}

const baseOf = (cp: ControlPlane) => `http://127.0.0.1:${cp.admin.addresses[0]!.port}`;

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('admin tokens file', () => {
  it('reads one token per line with comments and blank lines, and names the line of a bad one', () => {
    expect(parseTokensText(`# ops\n\n  ${TOKEN_A}  \n${TOKEN_B}\r\n`, 'f')).toHaveLength(2);
    const short = (() => {
      try {
        parseTokensText(`${TOKEN_A}\nshort-secret\n`, 'f');
      } catch (err) {
        return err;
      }
    })() as AdminTokensError;
    expect(short).toBeInstanceOf(AdminTokensError);
    expect(short.message).toBe('f:2: token too short (expected at least 16 characters)');
    expect(short.message).not.toContain('short-secret');
    expect(() => parseTokensText('has space in the middle of it', 'f')).toThrow(/f:1: invalid token/);
    expect(() => parseTokensText('# only a comment\n', 'f')).toThrow('f: no token');
  });

  it('admin_auth = token without a tokens file is a conf error; an unknown mode is one too', () => {
    expect(() => loadConf({ env: {}, overrides: { admin_auth: 'token' } })).toThrow(ConfError);
    expect(() => loadConf({ env: {}, overrides: { admin_auth: 'token' } })).toThrow(
      /admin_auth_tokens_file: required when admin_auth = token/,
    );
    expect(() => loadConf({ env: {}, overrides: { admin_auth: 'basic' } })).toThrow(/admin_auth: /);
  });

  it('an unreadable tokens file stops the admin api from starting', async () => {
    const dir = tempDir();
    await expect(
      startCp({ admin_auth: 'token', admin_auth_tokens_file: join(dir, 'missing') }),
    ).rejects.toThrow(/cannot read the admin tokens file \(ENOENT\)/);
  });
});

describe('admin api token authentication', () => {
  it('is off by default, as in Kong OSS', async () => {
    const cp = await startCp({});
    expect((await call(baseOf(cp), '/')).status).toBe(200);
  });

  it('refuses requests without a valid token with 401 before routing, and accepts both headers', async () => {
    const dir = tempDir();
    const file = join(dir, 'tokens');
    writeFileSync(file, `# admin tokens\n${TOKEN_A}\n${TOKEN_B}\n`, { mode: 0o600 });
    const logs: string[] = [];
    const cp = await startCp({ admin_auth: 'token', admin_auth_tokens_file: file }, logs);
    const base = baseOf(cp);

    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: `Bearer ${TOKEN_C}` },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN_A}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN_A.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN_A}x` },
      { authorization: TOKEN_A },
      { 'kong-admin-token': TOKEN_C },
      { 'kong-admin-token': '' },
    ]) {
      for (const path of ['/', '/services', '/no/such/path', '/config']) {
        const r = await call(base, path, headers);
        expect([path, r.status, JSON.parse(r.text)]).toEqual([path, 401, { message: 'Unauthorized' }]);
        expect(r.headers['www-authenticate']).toBe('Bearer realm="hybridgate-admin"');
      }
    }
    // A refused write changes nothing.
    const version = await cp.store.version();
    const denied = await call(
      base,
      '/services',
      {},
      'POST',
      JSON.stringify({ name: 's', host: 'h.example' }),
    );
    expect(denied.status).toBe(401);
    expect(await cp.store.version()).toBe(version);
    const list = await call(base, '/services', { authorization: `bearer ${TOKEN_A}` });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text).data).toEqual([]);

    const created = await call(
      base,
      '/services',
      { 'kong-admin-token': TOKEN_B },
      'POST',
      JSON.stringify({ name: 's', host: 'h.example' }),
    );
    expect(created.status).toBe(201);
    expect((await call(base, '/no/such/path', { authorization: `Bearer ${TOKEN_B}` })).status).toBe(404);

    const text = logs.join('');
    expect(text).toContain('admin api request refused: missing or invalid token');
    for (const secret of [TOKEN_A, TOKEN_B, TOKEN_C]) expect(text).not.toContain(secret);
  });

  it('follows a Secret-style update of the tokens file and keeps the old set when the new one is unusable', async () => {
    const dir = tempDir();
    const mount = secretMount(dir, `${TOKEN_A}\n`);
    const logs: string[] = [];
    const cp = await startCp({ admin_auth: 'token', admin_auth_tokens_file: mount.file }, logs);
    const base = baseOf(cp);
    const status = async (token: string) =>
      (await call(base, '/status', { authorization: `Bearer ${token}` })).status;
    expect(await status(TOKEN_A)).toBe(200);
    expect(await status(TOKEN_B)).toBe(401);

    mount.update(`# rotated\n${TOKEN_B}\n`);
    await waitFor(async () => (await status(TOKEN_B)) === 200, 'the rotated token to be accepted');
    expect(await status(TOKEN_A)).toBe(401);

    // An empty Secret (a half-made rotation) must neither open the API nor lock everyone out.
    const kept = () => logs.join('').split('admin api tokens not reloaded').length - 1;
    for (const [i, broken] of ['', `# a comment only\n`, `${TOKEN_C} and more\n`].entries()) {
      mount.update(broken);
      await waitFor(async () => kept() > i, `refused reload ${i + 1}`);
      expect(await status(TOKEN_B)).toBe(200);
      expect(await status(TOKEN_C)).toBe(401);
      expect((await call(base, '/status')).status).toBe(401);
    }
    expect(logs.join('')).not.toContain(TOKEN_C);
  });

  it('serves https with admin_ssl_cert/admin_ssl_cert_key and still requires the token over TLS', async () => {
    const certs = makeTestCertificates(1);
    cleanups.push(() => certs.cleanup());
    const pair = certs.pairs[0]!;
    const dir = tempDir();
    writeFileSync(join(dir, 'tokens'), `${TOKEN_A}\n`);
    const cp = await startCp({
      admin_listen: '127.0.0.1:0 ssl',
      admin_ssl_cert: pair.certPath,
      admin_ssl_cert_key: pair.keyPath,
      admin_auth: 'token',
      admin_auth_tokens_file: join(dir, 'tokens'),
    });
    const addr = cp.admin.addresses[0]!;
    expect(addr.ssl).toBe(true);
    const tls = new Agent({ connect: { ca: pair.cert, servername: 'localhost', rejectUnauthorized: false } });
    cleanups.push(() => tls.close());
    const base = `https://127.0.0.1:${addr.port}`;
    const ok = await request(`${base}/`, {
      dispatcher: tls,
      headers: { authorization: `Bearer ${TOKEN_A}` },
    });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const peer = await new Promise<string>((resolve, reject) => {
      import('node:tls')
        .then(({ connect }) => {
          const s = connect({ host: '127.0.0.1', port: addr.port, rejectUnauthorized: false }, () => {
            resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
            s.destroy();
          });
          s.on('error', reject);
        })
        .catch(reject);
    });
    const { X509Certificate } = await import('node:crypto');
    expect(peer).toBe(new X509Certificate(pair.cert).fingerprint256);
    const refused = await request(`${base}/`, { dispatcher: tls });
    expect(refused.statusCode).toBe(401);
    await refused.body.dump();
    // Plain HTTP on the TLS port is not served.
    await expect(request(`http://127.0.0.1:${addr.port}/`, { dispatcher: agent })).rejects.toThrow();
  });
});
