import { afterEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as http2Connect } from 'node:http2';
import { connect } from 'node:tls';
import { parse } from 'yaml';
import { sendTo, startHarness, type Harness } from './admin-harness.js';

const started: Harness[] = [];
async function start(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(opts);
  started.push(h);
  return h;
}
afterEach(async () => {
  for (const h of started.splice(0)) await h.stop();
});

const DECLARATIVE = `
_format_version: "3.0"
services:
  - name: decl-svc
    url: http://decl.example:8080/base
    routes:
      - name: decl-route
        paths: [/decl]
        plugins:
          - name: key-auth
consumers:
  - username: bob
    keyauth_credentials:
      - key: bob-key
upstreams:
  - name: decl.upstream
    targets:
      - target: 10.1.1.1:80
`;

describe('GET/POST /config', () => {
  it('loads a declarative document atomically, exports it as JSON and YAML, and honours check_hash', async () => {
    const h = await start();
    await h.send('POST', '/services', { json: { name: 'to-be-replaced', host: 'old.example' } });
    const posted = await h.send('POST', '/config', { json: { config: DECLARATIVE } });
    expect(posted.status).toBe(201);
    expect(posted.json.services.map((s: { name: string }) => s.name)).toEqual(['decl-svc']);
    expect((await h.send('GET', '/services/to-be-replaced')).status).toBe(404);
    const route = (await h.send('GET', '/routes/decl-route')).json;
    const svc = (await h.send('GET', '/services/decl-svc')).json;
    expect(route.service).toEqual({ id: svc.id });
    expect((await h.send('GET', '/key-auths/bob-key')).status).toBe(200);

    const json = await h.send('GET', '/config');
    expect(json.json._format_version).toBe('3.0');
    expect(json.json.targets).toHaveLength(1);
    const yaml = await h.send('GET', '/config?format=yaml');
    expect(String(yaml.headers['content-type'])).toContain('yaml');
    expect(parse(yaml.text)).toEqual(json.json);
    const accept = await h.send('GET', '/config', { headers: { accept: 'application/yaml' } });
    expect(parse(accept.text)).toEqual(json.json);

    const version = await h.cp.store.version();
    const same = await h.send('POST', '/config?check_hash=1', { json: { config: DECLARATIVE } });
    expect(same.status).toBe(304);
    expect(await h.cp.store.version()).toBe(version);
    // Re-posting the same document without check_hash changes nothing either (same ids, kept timestamps).
    await h.send('POST', '/config', { json: { config: DECLARATIVE } });
    expect((await h.send('GET', '/config')).json).toEqual(json.json);

    const asObject = await h.send('POST', '/config', { json: parse(DECLARATIVE) });
    expect(asObject.status).toBe(201);
    const asForm = await h.send('POST', '/config', { form: `config=${encodeURIComponent(DECLARATIVE)}` });
    expect(asForm.status).toBe(201);
    const asYaml = await h.send('POST', '/config', {
      raw: { body: DECLARATIVE, contentType: 'application/yaml' },
    });
    expect(asYaml.status).toBe(201);
  });

  it('refuses an invalid document with code 14 and leaves the previous config intact', async () => {
    const h = await start();
    await h.send('POST', '/config', { json: { config: DECLARATIVE } });
    const before = await h.send('GET', '/config');
    const invalid = `
_format_version: "3.0"
services:
  - name: broken
    host: ok.example
    routes:
      - name: r
        paths: [no-slash]
`;
    const bad = await h.send('POST', '/config', { json: { config: invalid } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 14, name: 'invalid declarative configuration' });
    expect(bad.json.fields.services[0].routes[0].paths).toBeDefined();
    for (const body of [{}, { config: 42 }, { config: '{not yaml: [' }, { _format_version: '9.9' }]) {
      const r = await h.send('POST', '/config', { json: body });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe(14);
    }
    expect((await h.send('GET', '/config')).json).toEqual(before.json);
  });
});

describe('durability', () => {
  it('finds every entity again after a restart on the same prefix and continues the version', async () => {
    const first = await startHarness();
    await first.send('POST', '/config', { json: { config: DECLARATIVE } });
    await first.send('POST', '/services', { json: { name: 'extra', host: 'extra.example' } });
    const before = await first.send('GET', '/config');
    const version = await first.cp.store.version();
    const nodeId = (await first.send('GET', '/')).json.node_id;
    await first.stop(true);

    const second = await start({ prefix: first.prefix });
    expect((await second.send('GET', '/config')).json).toEqual(before.json);
    expect(await second.cp.store.version()).toBe(version);
    expect((await second.send('GET', '/')).json.node_id).toBe(nodeId);
    expect(
      (await second.send('POST', '/services', { json: { name: 'extra', host: 'x.example' } })).status,
    ).toBe(409);
    await second.send('POST', '/services', { json: { name: 'after-restart', host: 'x.example' } });
    expect(await second.cp.store.version()).toBe(version + 1);
  });
});

describe('node endpoints and listeners', () => {
  it('GET / shows node info with a redacted configuration; GET /status shows the database and counters', async () => {
    const h = await start({ overrides: { pg_password: 'hunter2' } });
    const root = await h.send('GET', '/');
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ tagline: 'Welcome to hybridgate', role: 'traditional' });
    expect(root.json.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(root.json.configuration.pg_password).toBe('******');
    expect(root.text).not.toContain('hunter2');
    expect(root.json.plugins.available_on_server['key-auth']).toMatchObject({ priority: 1250 });
    expect(readFileSync(join(h.prefix, 'node.id'), 'utf8').trim()).toBe(root.json.node_id);
    const status = await h.send('GET', '/status');
    expect(status.json.database).toMatchObject({ reachable: true });
    expect(status.json.server.total_requests).toBeGreaterThanOrEqual(2);
    expect(status.json.server.connections_accepted).toBeGreaterThanOrEqual(1);
  });

  it('serves an ssl listener with the default certificate kept in <prefix>/ssl', async () => {
    const h = await start({ ssl: true });
    const tlsAddr = h.cp.admin.addresses.find((a) => a.ssl);
    expect(tlsAddr).toBeDefined();
    const base = `https://127.0.0.1:${tlsAddr?.port}`;
    const r = await sendTo(base, 'GET', '/status');
    expect(r.status).toBe(200);
    const pem = readFileSync(join(h.prefix, 'ssl', 'admin-default.crt'), 'utf8');
    const served = await new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port: tlsAddr?.port ?? 0, rejectUnauthorized: false },
        () => {
          resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    expect(served).toBe(new X509Certificate(pem).fingerprint256);
  });

  it('speaks HTTP/2 on an `ssl http2` listener (Kong’s default 8444 shape)', async () => {
    const h = await start({ overrides: { admin_listen: '127.0.0.1:0 ssl http2' } });
    const port = h.cp.admin.addresses[0]?.port ?? 0;
    const client = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = client.request({ ':path': '/status' });
        let status = 0;
        let body = '';
        req.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(JSON.parse(body).database.reachable).toBe(true);
    } finally {
      client.close();
    }
  });

  it('fails to start with a typed error when the port is taken, and leaves nothing running', async () => {
    const h = await start();
    const port = h.cp.admin.addresses[0]?.port ?? 0;
    await expect(startHarness({ overrides: { admin_listen: `127.0.0.1:${port}` } })).rejects.toThrow(
      /admin_listen 127\.0\.0\.1:\d+: cannot listen/,
    );
  });
});
