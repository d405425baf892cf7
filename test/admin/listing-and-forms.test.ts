import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSelfSignedCertificate } from '../../src/runtime/tls/default-certificate.js';
import { startHarness, type Harness } from './admin-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('pagination and tags', () => {
  it('pages 250 services by 100 following next links, carrying size and tags', async () => {
    // One transaction for the fixture: 250 Admin API round trips would only test the same path again.
    await h.cp.store.transaction(async (tx) => {
      for (let i = 0; i < 250; i++) {
        const tags = i % 2 === 0 ? ['paged', 'even'] : ['paged', 'odd'];
        await tx.insert('services', {
          id: crypto.randomUUID(),
          name: `p${i}`,
          host: 'h.example',
          port: 80,
          tags,
        });
      }
    });
    const names: string[] = [];
    let next: string | null = '/services?size=100';
    const sizes: number[] = [];
    while (next) {
      const page = await h.send('GET', next);
      expect(page.status).toBe(200);
      names.push(...page.json.data.map((s: { name: string }) => s.name));
      sizes.push(page.json.data.length);
      next = page.json.next;
      if (next) {
        expect(next).toMatch(/^\/services\?offset=[^&]+&size=100$/);
        expect(page.json.offset).toBeDefined();
      } else {
        expect(page.json.offset).toBeUndefined();
      }
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(new Set(names).size).toBe(250);

    const firstDefault = await h.send('GET', '/services');
    expect(firstDefault.json.data).toHaveLength(100);
    expect(firstDefault.json.next).toMatch(/^\/services\?offset=[^&]+$/);

    const even = await h.send('GET', '/services?tags=paged,even&size=1000');
    expect(even.json.data).toHaveLength(125);
    const either = await h.send('GET', '/services?tags=odd/even&size=1000');
    expect(either.json.data).toHaveLength(250);
    const tagged = await h.send('GET', '/services?tags=even&size=50');
    expect(tagged.json.next).toMatch(/&size=50&tags=even$/);
    const second = await h.send('GET', tagged.json.next);
    expect(second.json.data.every((s: { tags: string[] }) => s.tags.includes('even'))).toBe(true);
  });

  it('refuses invalid sizes, offsets and tag filters with Kong’s codes', async () => {
    for (const size of ['0', '1001', '-5', '2.5']) {
      const r = await h.send('GET', `/services?size=${size}`);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({
        code: 9,
        name: 'invalid size',
        message: 'size must be an integer between 1 and 1000',
      });
    }
    expect((await h.send('GET', '/services?size=abc')).json).toMatchObject({
      code: 9,
      message: 'size must be a number',
    });
    const offset = await h.send('GET', '/services?offset=garbage!');
    expect(offset.status).toBe(400);
    expect(offset.json).toMatchObject({ code: 7, name: 'invalid offset' });
    const routesOffset = (await h.send('GET', '/services?size=1')).json.offset as string;
    expect((await h.send('GET', `/routes?offset=${routesOffset}`)).json.code).toBe(7);
    for (const tags of ['a,b/c', 'a,,b', 'a//b', '']) {
      const r = await h.send('GET', `/services?tags=${encodeURIComponent(tags)}`);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        code: 11,
        name: 'invalid options',
        message: 'invalid option (tags: invalid filter syntax)',
        options: { tags: 'invalid filter syntax' },
      });
    }
  });
});

describe('form-encoded bodies', () => {
  it('coerces Kong’s form shapes to the schema types', async () => {
    const svc = await h.send('POST', '/services', {
      form: 'name=form-svc&host=f.example&port=8080&retries=3&tags[]=a&tags[]=b&enabled=false',
    });
    expect(svc.status).toBe(201);
    expect(svc.json).toMatchObject({ port: 8080, retries: 3, tags: ['a', 'b'], enabled: false });
    const route = await h.send('POST', '/routes', {
      form: `name=form-route&paths=/one&paths=/two&hosts[1]=a.example&hosts[2]=b.example&strip_path=false&service.id=${svc.json.id}&headers.x-env=prod`,
    });
    expect(route.status).toBe(201);
    expect(route.json).toMatchObject({
      paths: ['/one', '/two'],
      hosts: ['a.example', 'b.example'],
      strip_path: false,
      service: { id: svc.json.id },
      headers: { 'x-env': ['prod'] },
    });
    const single = await h.send('POST', '/routes', { form: 'name=single&paths=/only&methods=GET' });
    expect(single.json).toMatchObject({ paths: ['/only'], methods: ['GET'] });
    const patched = await h.send('PATCH', '/services/form-svc', { form: 'port=9090' });
    expect(patched.json.port).toBe(9090);
    const wrong = await h.send('POST', '/services', { form: 'host=w.example&port=notanumber' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.fields.port).toBeDefined();
  });
});

describe('multipart bodies', () => {
  it('accepts curl -F style certificates and form field names', async () => {
    const pair = await createSelfSignedCertificate(30);
    const cert = await h.send('POST', '/certificates', {
      multipart: { cert: pair.cert, key: pair.key, 'tags[]': 'mp' },
    });
    expect(cert.status).toBe(201);
    expect(cert.json.cert.trim()).toBe(pair.cert.trim());
    expect(cert.json.tags).toEqual(['mp']);
    const route = await h.send('POST', '/routes', {
      multipart: { 'paths[]': '/multi', strip_path: 'false' },
    });
    expect(route.json).toMatchObject({ paths: ['/multi'], strip_path: false });
    const broken = await h.send('POST', '/routes', {
      raw: { body: 'no boundary here', contentType: 'multipart/form-data; boundary=zz' },
    });
    expect(broken.status).toBe(400);
    expect(broken.json.message).toMatch(/^Cannot parse multipart body/);
  });
});

describe('Kong getting-started flow, as curl would send it', () => {
  it('service, route, key-auth, consumer, key, rate-limiting', async () => {
    const service = await h.send('POST', '/services', {
      form: 'name=example_service&url=http://httpbin.org',
    });
    expect(service.status).toBe(201);
    expect(service.json).toMatchObject({
      name: 'example_service',
      host: 'httpbin.org',
      protocol: 'http',
      port: 80,
    });
    const route = await h.send('POST', '/services/example_service/routes', {
      form: 'paths[]=/mock&name=example_route',
    });
    expect(route.status).toBe(201);
    expect(route.json.paths).toEqual(['/mock']);
    const onRoute = await h.send('POST', '/routes/example_route/plugins', { form: 'name=key-auth' });
    expect(onRoute.status).toBe(201);
    const onService = await h.send('POST', '/services/example_service/plugins', { form: 'name=key-auth' });
    expect(onService.status).toBe(201);
    expect(onService.json.config.key_names).toEqual(['apikey']);
    const consumer = await h.send('POST', '/consumers', { form: 'username=luka' });
    expect(consumer.status).toBe(201);
    const key = await h.send('POST', '/consumers/luka/key-auth', { form: 'key=top-secret' });
    expect(key.status).toBe(201);
    expect(key.json).toMatchObject({ key: 'top-secret', consumer: { id: consumer.json.id } });
    const rl = await h.send('POST', '/services/example_service/plugins', {
      form: 'name=rate-limiting&config.minute=5&config.policy=local',
    });
    expect(rl.status).toBe(201);
    expect(rl.json.config).toMatchObject({ minute: 5, policy: 'local' });
    const patched = await h.send('PATCH', `/plugins/${rl.json.id}`, { form: 'config.minute=10' });
    expect(patched.status).toBe(200);
    expect(patched.json.config).toMatchObject({ minute: 10, policy: 'local' });
    const root = await h.send('GET', '/');
    expect(root.json.plugins.enabled_in_cluster).toEqual(['key-auth', 'rate-limiting']);
  });
});
