import { describe, expect, it } from '@jest/globals';
import { matchesAny, parseCidr, parseIp } from './ip-restriction/cidr.js';
import { exitJson, runRequest, testContext, testIndex } from './test-context.js';

const one = (name: string, config: Record<string, unknown>) =>
  testIndex({ plugins: [{ id: name, name, config }] });

describe('cors', () => {
  const preflight = (origin: string, extra: Record<string, string> = {}) =>
    testContext({
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', ...extra },
    });

  it('answers preflights with the configured methods, headers, max age and credentials', async () => {
    const index = one('cors', {
      origins: ['https://a.test'],
      methods: ['GET', 'POST'],
      max_age: 600,
      credentials: true,
      headers: ['X-Foo'],
    });
    const ctx = await runRequest(index, preflight('https://a.test'));
    expect(ctx.exited?.status).toBe(200);
    expect(ctx.response?.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.test',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'X-Foo',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('matches several origins literally or by regex and echoes the request origin', async () => {
    const index = one('cors', { origins: ['https://a.test', 'https://.*\\.b\\.test'] });
    const lit = await runRequest(index, testContext({ headers: { origin: 'https://a.test:443' } }));
    expect(lit.response?.headers['access-control-allow-origin']).toBe('https://a.test:443');
    const re = await runRequest(index, testContext({ headers: { origin: 'https://x.b.test' } }));
    expect(re.response?.headers['access-control-allow-origin']).toBe('https://x.b.test');
    const no = await runRequest(index, testContext({ headers: { origin: 'https://evil.test' } }));
    expect(no.response?.headers['access-control-allow-origin']).toBeUndefined();
    expect(no.response?.headers.vary).toBe('Origin');
  });

  it("uses '*' without origins, and echoes the origin when credentials are on", async () => {
    const star = await runRequest(
      one('cors', { exposed_headers: ['X-Id'] }),
      testContext({ headers: { origin: 'https://c.test' } }),
    );
    expect(star.response?.headers['access-control-allow-origin']).toBe('*');
    expect(star.response?.headers['access-control-expose-headers']).toBe('X-Id');
    const cred = await runRequest(
      one('cors', { credentials: true }),
      testContext({ headers: { origin: 'https://c.test' } }),
    );
    expect(cred.response?.headers['access-control-allow-origin']).toBe('https://c.test');
    expect(cred.response?.headers['access-control-allow-credentials']).toBe('true');
  });

  it('lets preflights through with preflight_continue, and echoes requested headers', async () => {
    const cont = await runRequest(one('cors', { preflight_continue: true }), preflight('https://a.test'));
    expect(cont.exited).toBeNull();
    const echo = await runRequest(
      one('cors', {}),
      preflight('https://a.test', { 'access-control-request-headers': 'X-A,X-B' }),
    );
    expect(echo.response?.headers['access-control-allow-headers']).toBe('X-A,X-B');
  });
});

describe('ip-restriction', () => {
  it('parses and matches v4, v6 and v4-mapped addresses', () => {
    const ranges = ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'].map(parseCidr);
    expect(matchesAny(parseIp('10.2.3.4')!, ranges)).toBe(true);
    expect(matchesAny(parseIp('::ffff:10.2.3.4')!, ranges)).toBe(true);
    expect(matchesAny(parseIp('2001:db8:1::5')!, ranges)).toBe(true);
    expect(matchesAny(parseIp('192.168.1.8')!, ranges)).toBe(false);
    expect(matchesAny(parseIp('2001:db9::1')!, ranges)).toBe(false);
    expect(() => parseCidr('10.0.0.0/33')).toThrow("invalid ip or cidr range: '10.0.0.0/33'");
  });

  it('denies listed ranges with Kong message, or status/message from config', async () => {
    const deny = await runRequest(one('ip-restriction', { deny: ['127.0.0.0/8'] }), testContext());
    expect(deny.exited?.status).toBe(403);
    expect(exitJson(deny)).toEqual({ message: 'Your IP address is not allowed' });
    const custom = await runRequest(
      one('ip-restriction', { deny: ['::1'], status: 401, message: 'go away' }),
      testContext({ clientIp: '::1' }),
    );
    expect(custom.exited?.status).toBe(401);
    expect(exitJson(custom)).toEqual({ message: 'go away' });
  });

  it('lets an allow list decide', async () => {
    const index = one('ip-restriction', { allow: ['10.0.0.0/24'], deny: ['10.0.0.5'] });
    expect((await runRequest(index, testContext({ clientIp: '10.0.0.5' }))).exited).toBeNull();
    expect((await runRequest(index, testContext({ clientIp: '10.0.1.5' }))).exited?.status).toBe(403);
  });
});

describe('request-size-limiting', () => {
  it('answers 413 over the limit by Content-Length, in the configured unit', async () => {
    const index = one('request-size-limiting', { allowed_payload_size: 1, size_unit: 'kilobytes' });
    const big = await runRequest(
      index,
      testContext({ method: 'POST', headers: { 'content-length': '1025' } }),
    );
    expect(big.exited?.status).toBe(413);
    expect(exitJson(big)).toEqual({ message: 'Request size limit exceeded' });
    expect(
      (await runRequest(index, testContext({ method: 'POST', headers: { 'content-length': '1024' } })))
        .exited,
    ).toBeNull();
  });

  it('counts chunked bodies, and requires Content-Length when configured', async () => {
    const index = one('request-size-limiting', { allowed_payload_size: 10, size_unit: 'bytes' });
    const chunked = await runRequest(
      index,
      testContext({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(11) }),
    );
    expect(chunked.exited?.status).toBe(413);
    const req = one('request-size-limiting', { require_content_length: true });
    const none = await runRequest(req, testContext({ method: 'POST' }));
    expect(none.exited?.status).toBe(411);
  });
});

describe('correlation-id', () => {
  it('adds an id upstream, keeps a client id and echoes it downstream', async () => {
    const index = one('correlation-id', { generator: 'uuid', echo_downstream: true });
    const ctx = await runRequest(index, testContext());
    const id = ctx.request.headers['kong-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.response?.headers['kong-request-id']).toBe(id);
    const kept = await runRequest(index, testContext({ headers: { 'kong-request-id': 'mine' } }));
    expect(kept.response?.headers['kong-request-id']).toBe('mine');
  });

  it('generates uuid#counter ids that increase', async () => {
    const index = one('correlation-id', { header_name: 'X-Req' });
    const a = (await runRequest(index, testContext())).request.headers['x-req'] as string;
    const b = (await runRequest(index, testContext())).request.headers['x-req'] as string;
    expect(a.split('#')[0]).toBe(b.split('#')[0]);
    expect(Number(b.split('#')[1])).toBe(Number(a.split('#')[1]) + 1);
  });
});
