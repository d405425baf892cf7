import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { makeTestCertificates } from '../../src/runtime/config/conf/test-certificates.js';
import type { ChangeEvent } from '../../src/runtime/control-plane/store/store.js';
import { createSelfSignedCertificate } from '../../src/runtime/tls/default-certificate.js';
import { startHarness, type Harness } from './admin-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('services', () => {
  it('creates with defaults, reads by id and name, patches, puts and deletes idempotently', async () => {
    const created = await h.send('POST', '/services', {
      json: { name: 'svc-a', url: 'https://example.com:8443/api' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'svc-a',
      protocol: 'https',
      host: 'example.com',
      port: 8443,
      path: '/api',
    });
    expect(created.json).toMatchObject({ retries: 5, connect_timeout: 60000, enabled: true, tags: null });
    const id = created.json.id as string;
    expect((await h.send('GET', `/services/${id}`)).json.name).toBe('svc-a');
    expect((await h.send('GET', '/services/svc-a')).json.id).toBe(id);

    const patched = await h.send('PATCH', '/services/svc-a', { json: { retries: 9 } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      id,
      retries: 9,
      host: 'example.com',
      created_at: created.json.created_at,
    });

    // PUT replaces the whole entity (defaults again) and keeps the id found by name.
    const put = await h.send('PUT', '/services/svc-a', {
      json: { host: 'other.example', name: 'ignored-by-url' },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id, name: 'svc-a', host: 'other.example', retries: 5, port: 80 });

    const freshId = randomUUID();
    const putNew = await h.send('PUT', `/services/${freshId}`, {
      json: { host: 'h.example', id: randomUUID() },
    });
    expect(putNew.status).toBe(200);
    expect(putNew.json.id).toBe(freshId);
    const putByName = await h.send('PUT', '/services/svc-new', { json: { host: 'n.example' } });
    expect(putByName.json).toMatchObject({ name: 'svc-new', host: 'n.example' });

    expect((await h.send('DELETE', '/services/svc-new')).status).toBe(204);
    expect((await h.send('DELETE', '/services/svc-new')).status).toBe(204);
    const gone = await h.send('GET', '/services/svc-new');
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ message: 'Not found' });
    expect((await h.send('PATCH', '/services/svc-new', { json: { retries: 1 } })).status).toBe(404);
  });

  it('answers Kong’s error bodies for unique, schema and unknown-field violations', async () => {
    await h.send('POST', '/services', { json: { name: 'dup', host: 'a.example' } });
    const dup = await h.send('POST', '/services', { json: { name: 'dup', host: 'b.example' } });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="dup"}'`,
      fields: { name: 'dup' },
    });
    const bad = await h.send('POST', '/services', { json: { host: 'x.example', port: 'eighty', foo: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 2, name: 'schema violation' });
    expect(bad.json.fields).toMatchObject({ foo: 'unknown field' });
    expect(typeof bad.json.fields.port).toBe('string');
    expect(bad.json.message).toMatch(/^2 schema violations \(/);
    const missing = await h.send('POST', '/services', { json: {} });
    expect(missing.json.fields).toMatchObject({ host: 'required field missing' });
  });
});

describe('routes, plugins and referential rules', () => {
  it('nests routes under services, resolves FKs by name, refuses and cascades deletes as Kong', async () => {
    await h.send('POST', '/services', { json: { name: 'parent', host: 'p.example' } });
    await h.send('POST', '/services', { json: { name: 'stranger', host: 's.example' } });
    const route = await h.send('POST', '/services/parent/routes', { json: { name: 'r1', paths: ['/r1'] } });
    expect(route.status).toBe(201);
    const parent = (await h.send('GET', '/services/parent')).json;
    expect(route.json.service).toEqual({ id: parent.id });

    const byName = await h.send('POST', '/routes', {
      json: { name: 'r2', paths: ['/r2'], service: { name: 'parent' } },
    });
    expect(byName.status).toBe(201);
    expect(byName.json.service).toEqual({ id: parent.id });
    const unknownName = await h.send('POST', '/routes', {
      json: { paths: ['/x'], service: { name: 'nope' } },
    });
    expect(unknownName.status).toBe(400);
    expect(unknownName.json.message).toBe(
      `the foreign key '{name="nope"}' does not reference an existing 'services' entity.`,
    );
    const ghost = randomUUID();
    const badFk = await h.send('POST', '/routes', { json: { paths: ['/x'], service: { id: ghost } } });
    expect(badFk.json).toEqual({
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${ghost}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id: ghost } },
    });

    const list = await h.send('GET', '/services/parent/routes');
    expect(list.json.data.map((r: { name: string }) => r.name).sort()).toEqual(['r1', 'r2']);
    expect(list.json.next).toBeNull();
    expect((await h.send('GET', '/services/parent/routes/r1')).status).toBe(200);
    expect((await h.send('GET', '/services/stranger/routes/r1')).status).toBe(404);
    expect((await h.send('GET', '/services/nope/routes')).status).toBe(404);
    expect((await h.send('GET', '/routes/r1/service')).json.id).toBe(parent.id);
    const viaRoute = await h.send('PATCH', '/routes/r1/service', { json: { retries: 2 } });
    expect(viaRoute.json).toMatchObject({ id: parent.id, retries: 2 });

    const plugin = await h.send('POST', '/routes/r1/plugins', { json: { name: 'key-auth' } });
    expect(plugin.status).toBe(201);
    expect(plugin.json.route).toEqual({ id: route.json.id });
    const twice = await h.send('POST', '/routes/r1/plugins', { json: { name: 'key-auth' } });
    expect(twice.status).toBe(409);
    expect(twice.json.message).toContain('UNIQUE violation detected on');

    const refused = await h.send('DELETE', '/services/parent');
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    });
    expect((await h.send('DELETE', '/routes/r1')).status).toBe(204);
    expect((await h.send('GET', `/plugins/${plugin.json.id}`)).status).toBe(404);
    expect((await h.send('DELETE', '/services/parent/routes/r2')).status).toBe(204);
    expect((await h.send('DELETE', '/services/parent')).status).toBe(204);
  });

  it('plugins: ids only, unknown plugin refused, schema endpoints, change events per write', async () => {
    const events: ChangeEvent[] = [];
    const off = h.cp.store.onChange((e) => events.push(e));
    const p = await h.send('POST', '/plugins', { json: { name: 'cors' } });
    expect(p.status).toBe(201);
    off();
    expect(events).toHaveLength(1);
    expect(events[0]?.changes[0]).toMatchObject({ op: 'create', family: 'plugins', id: p.json.id });

    // Families without an endpoint key take only ids; plugins are found by `instance_name` too.
    const invalidId = await h.send('GET', '/ca_certificates/not-a-uuid');
    expect(invalidId.status).toBe(400);
    expect(invalidId.json).toEqual({
      code: 1,
      name: 'invalid primary key',
      message: `invalid primary key: '{id="expected a valid UUID"}'`,
      fields: { id: 'expected a valid UUID' },
    });
    expect((await h.send('DELETE', '/certificates/not-a-uuid')).status).toBe(400);
    expect((await h.send('PUT', '/certificates/not-a-uuid', { json: {} })).status).toBe(400);
    expect((await h.send('GET', `/plugins/${randomUUID()}`)).status).toBe(404);
    expect((await h.send('GET', '/plugins/not-an-instance')).status).toBe(404);
    const named = await h.send('PUT', '/plugins/my-cors', { json: { name: 'cors', route: null } });
    expect(named.status).toBe(409);
    const unknown = await h.send('POST', '/plugins', { json: { name: 'no-such-plugin' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe(2);

    expect((await h.send('GET', '/plugins/enabled')).json.enabled_plugins).toContain('key-auth');
    const schema = await h.send('GET', '/schemas/plugins/rate-limiting');
    expect(schema.status).toBe(200);
    expect(JSON.stringify(schema.json)).toContain('minute');
    expect((await h.send('GET', '/plugins/schema/rate-limiting')).json).toEqual(schema.json);
    expect((await h.send('GET', '/schemas/plugins/nope')).status).toBe(404);
    for (const family of [
      'services',
      'routes',
      'upstreams',
      'targets',
      'consumers',
      'plugins',
      'certificates',
    ]) {
      const s = await h.send('GET', `/schemas/${family}`);
      expect(s.status).toBe(200);
      expect(s.json.type).toBe('object');
    }
    expect((await h.send('GET', '/schemas/nope')).status).toBe(404);
    const ok = await h.send('POST', '/schemas/services/validate', { json: { host: 'v.example' } });
    expect(ok.json).toEqual({ message: 'schema validation successful' });
    expect((await h.send('POST', '/schemas/services/validate', { json: { host: 5 } })).status).toBe(400);
  });
});

describe('consumers and credentials', () => {
  it('nests key-auth, basic-auth and acls under consumers, finds them by key, and cascades', async () => {
    const c = await h.send('POST', '/consumers', { json: { username: 'alice', custom_id: 'a-1' } });
    expect(c.status).toBe(201);
    expect((await h.send('GET', '/consumers?custom_id=a-1')).json.data[0].id).toBe(c.json.id);
    expect((await h.send('GET', '/consumers?custom_id=zz')).json.data).toEqual([]);
    const key = await h.send('POST', '/consumers/alice/key-auth', { json: { key: 'alice-key' } });
    expect(key.status).toBe(201);
    expect(key.json.consumer).toEqual({ id: c.json.id });
    const generated = await h.send('POST', '/consumers/alice/key-auth', { json: {} });
    expect(typeof generated.json.key).toBe('string');
    expect((await h.send('GET', '/key-auths/alice-key')).json.id).toBe(key.json.id);
    expect((await h.send('GET', `/consumers/alice/key-auth/${key.json.id}`)).status).toBe(200);
    expect((await h.send('GET', '/key-auths')).json.data).toHaveLength(2);
    expect((await h.send('GET', '/key-auths/alice-key/consumer')).json.username).toBe('alice');
    const dupKey = await h.send('POST', '/consumers/alice/key-auth', { json: { key: 'alice-key' } });
    expect(dupKey.status).toBe(409);

    const basic = await h.send('POST', '/consumers/alice/basic-auth', {
      json: { username: 'al', password: 'secret' },
    });
    expect(basic.status).toBe(201);
    expect(basic.json.password).not.toBe('secret');
    const acl = await h.send('POST', '/consumers/alice/acls', { json: { group: 'admins' } });
    expect(acl.status).toBe(201);
    expect((await h.send('GET', '/consumers/alice/acls/admins')).json.id).toBe(acl.json.id);
    expect((await h.send('GET', '/acls/admins')).status).toBe(400);
    expect((await h.send('GET', '/acls')).json.data).toHaveLength(1);

    expect((await h.send('DELETE', '/consumers/alice')).status).toBe(204);
    expect((await h.send('GET', '/key-auths')).json.data).toEqual([]);
    expect((await h.send('GET', '/basic-auths')).json.data).toEqual([]);
    expect((await h.send('GET', '/acls')).json.data).toEqual([]);
  });
});

describe('upstreams, targets, certificates, snis, ca_certificates', () => {
  it('addresses targets by id or host:port within their upstream', async () => {
    expect((await h.send('POST', '/upstreams', { json: { name: 'up.internal' } })).status).toBe(201);
    const t = await h.send('POST', '/upstreams/up.internal/targets', { json: { target: '10.0.0.1:8080' } });
    expect(t.status).toBe(201);
    expect(t.json.weight).toBe(100);
    expect((await h.send('GET', '/upstreams/up.internal/targets/10.0.0.1:8080')).json.id).toBe(t.json.id);
    expect((await h.send('GET', `/upstreams/up.internal/targets/${t.json.id}`)).status).toBe(200);
    const dup = await h.send('POST', '/upstreams/up.internal/targets', { json: { target: '10.0.0.1:8080' } });
    expect(dup.status).toBe(409);
    const w = await h.send('PATCH', '/upstreams/up.internal/targets/10.0.0.1:8080', { json: { weight: 5 } });
    expect(w.json.weight).toBe(5);
    expect((await h.send('GET', '/targets')).status).toBe(404);
    expect((await h.send('DELETE', '/upstreams/up.internal/targets/10.0.0.1:8080')).status).toBe(204);
    expect((await h.send('GET', '/upstreams/up.internal/targets')).json.data).toEqual([]);
    await h.send('POST', '/upstreams/up.internal/targets', { json: { target: '10.0.0.2:80' } });
    expect((await h.send('DELETE', '/upstreams/up.internal')).status).toBe(204);
  });

  it('stores certificates with their snis (cascade) and CA certificates with a digest', async () => {
    const pair = await createSelfSignedCertificate(30);
    const cert = await h.send('POST', '/certificates', { json: { cert: pair.cert, key: pair.key } });
    expect(cert.status).toBe(201);
    const sni = await h.send('POST', `/certificates/${cert.json.id}/snis`, {
      json: { name: 'api.example.com' },
    });
    expect(sni.status).toBe(201);
    expect((await h.send('GET', '/snis/api.example.com')).json.certificate).toEqual({ id: cert.json.id });
    expect((await h.send('GET', '/snis/api.example.com/certificate')).json.id).toBe(cert.json.id);
    expect((await h.send('DELETE', `/certificates/${cert.json.id}`)).status).toBe(204);
    expect((await h.send('GET', '/snis/api.example.com')).status).toBe(404);

    const ca = makeTestCertificates(1);
    try {
      const caCert = ca.pairs[0]?.cert as string;
      const stored = await h.send('POST', '/ca_certificates', { json: { cert: caCert } });
      expect(stored.status).toBe(201);
      expect(stored.json.cert_digest).toMatch(/^[0-9a-f]{64}$/);
      expect((await h.send('POST', '/ca_certificates', { json: { cert: caCert } })).status).toBe(409);
    } finally {
      ca.cleanup();
    }
  });
});

describe('protocol-level errors', () => {
  it('405, 404, unparsable JSON, unsupported media types and OPTIONS', async () => {
    const m = await h.send('DELETE', '/services');
    expect(m.status).toBe(405);
    expect(m.json).toEqual({ message: 'Method not allowed' });
    expect((await h.send('POST', '/services/x')).status).toBe(405);
    expect((await h.send('GET', '/no/such/path')).json).toEqual({ message: 'Not found' });
    const badJson = await h.send('POST', '/services', {
      raw: { body: '{"host":', contentType: 'application/json' },
    });
    expect(badJson.status).toBe(400);
    expect(badJson.json).toEqual({ message: 'Cannot parse JSON body' });
    const media = await h.send('POST', '/services', {
      raw: { body: '<x/>', contentType: 'application/xml' },
    });
    expect(media.status).toBe(415);
    const options = await h.send('OPTIONS', '/services');
    expect(options.status).toBe(204);
    expect(String(options.headers.allow)).toContain('POST');
  });
});
