import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Entity } from './context.js';
import { exitJson, runRequest, testContext, testIndex } from './test-context.js';

const consumers: Entity[] = [
  { id: 'c1', username: 'alice', custom_id: 'A-1' },
  { id: 'c2', username: 'bob' },
  { id: 'anon', username: 'anonymous' },
];
const keyauth_credentials: Entity[] = [
  { id: 'k1', key: 'alice-key', consumer: { id: 'c1' } },
  { id: 'k2', key: 'bob-key', consumer: { id: 'c2' } },
];
const basicauth_credentials: Entity[] = [
  {
    id: 'b1',
    username: 'alice',
    password: createHash('sha1')
      .update('s3cret' + 'c1')
      .digest('hex'),
    consumer: { id: 'c1' },
  },
];
const acls: Entity[] = [
  { id: 'a1', group: 'gold', consumer: { id: 'c1' } },
  { id: 'a2', group: 'silver', consumer: { id: 'c1' } },
  { id: 'a3', group: 'bronze', consumer: { id: 'c2' } },
];
const base = { consumers, keyauth_credentials, basicauth_credentials, acls };

function keyAuth(config: Record<string, unknown> = {}) {
  return testIndex({ ...base, plugins: [{ id: 'ka', name: 'key-auth', config }] });
}

describe('key-auth', () => {
  it('answers 401 with Kong messages and WWW-Authenticate', async () => {
    const none = await runRequest(keyAuth(), testContext());
    expect(none.exited?.status).toBe(401);
    expect(exitJson(none)).toEqual({ message: 'No API key found in request' });
    expect(none.exited?.headers['www-authenticate']).toBe('Key realm="kong"');
    const bad = await runRequest(keyAuth(), testContext({ headers: { apikey: 'nope' } }));
    expect(exitJson(bad)).toEqual({ message: 'Invalid authentication credentials' });
  });

  it('finds the key in a header or the query and sets the consumer headers upstream', async () => {
    const ctx = await runRequest(
      keyAuth(),
      testContext({ headers: { apikey: 'alice-key', 'x-consumer-groups': 'spoof' } }),
    );
    expect(ctx.exited).toBeNull();
    expect(ctx.consumer?.id).toBe('c1');
    expect(ctx.request.headers).toMatchObject({
      'x-consumer-id': 'c1',
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'A-1',
      'x-credential-identifier': 'k1',
      apikey: 'alice-key',
    });
    expect(ctx.request.headers['x-anonymous-consumer']).toBeUndefined();
    const q = await runRequest(keyAuth(), testContext({ query: 'apikey=bob-key&x=1' }));
    expect(q.consumer?.id).toBe('c2');
    expect(q.request.headers['x-consumer-custom-id']).toBeUndefined();
  });

  it('hides credentials from header, query and body', async () => {
    const h = await runRequest(
      keyAuth({ hide_credentials: true }),
      testContext({ headers: { apikey: 'alice-key' } }),
    );
    expect(h.request.headers.apikey).toBeUndefined();
    const q = await runRequest(
      keyAuth({ hide_credentials: true }),
      testContext({ query: 'apikey=alice-key&x=1' }),
    );
    expect(q.upstream.query).toBe('x=1');
    const b = await runRequest(
      keyAuth({ hide_credentials: true, key_in_body: true }),
      testContext({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"apikey":"bob-key","a":1}',
      }),
    );
    expect(b.consumer?.id).toBe('c2');
    expect(JSON.parse(b.upstream.body!.toString())).toEqual({ a: 1 });
    expect(b.request.headers['content-length']).toBe(String(b.upstream.body!.length));
  });

  it('rejects duplicate keys and honours key_in_* switches and custom key names', async () => {
    const dup = await runRequest(keyAuth(), testContext({ query: 'apikey=a&apikey=b' }));
    expect(exitJson(dup)).toEqual({ message: 'Duplicate API key found' });
    const noQuery = await runRequest(
      keyAuth({ key_in_query: false }),
      testContext({ query: 'apikey=alice-key' }),
    );
    expect(noQuery.exited?.status).toBe(401);
    const named = await runRequest(
      keyAuth({ key_names: ['X-Api-Key'] }),
      testContext({ headers: { 'x-api-key': 'alice-key' } }),
    );
    expect(named.consumer?.id).toBe('c1');
  });

  it('falls back to the anonymous consumer (by id or username) and marks it', async () => {
    const ctx = await runRequest(keyAuth({ anonymous: 'anonymous' }), testContext());
    expect(ctx.exited).toBeNull();
    expect(ctx.consumer?.id).toBe('anon');
    expect(ctx.request.headers['x-anonymous-consumer']).toBe('true');
    const missing = await runRequest(keyAuth({ anonymous: 'ghost' }), testContext());
    expect(missing.exited?.status).toBe(500);
  });

  it('skips preflights when run_on_preflight is false', async () => {
    const ctx = await runRequest(keyAuth({ run_on_preflight: false }), testContext({ method: 'OPTIONS' }));
    expect(ctx.exited).toBeNull();
  });
});

describe('basic-auth', () => {
  const index = (config: Record<string, unknown> = {}) =>
    testIndex({ ...base, plugins: [{ id: 'ba', name: 'basic-auth', config }] });
  const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

  it('authenticates with Authorization or Proxy-Authorization against sha1(password + consumer id)', async () => {
    const ok = await runRequest(
      index(),
      testContext({ headers: { authorization: basic('alice', 's3cret') } }),
    );
    expect(ok.consumer?.id).toBe('c1');
    expect(ok.request.headers['x-credential-identifier']).toBe('b1');
    const proxy = await runRequest(
      index(),
      testContext({ headers: { 'proxy-authorization': basic('alice', 's3cret') } }),
    );
    expect(proxy.consumer?.id).toBe('c1');
  });

  it('answers 401 with the realm challenge', async () => {
    const none = await runRequest(index({ realm: 'api' }), testContext());
    expect(none.exited?.status).toBe(401);
    expect(exitJson(none)).toEqual({ message: 'Unauthorized' });
    expect(none.exited?.headers['www-authenticate']).toBe('Basic realm="api"');
    const wrong = await runRequest(
      index(),
      testContext({ headers: { authorization: basic('alice', 'nope') } }),
    );
    expect(exitJson(wrong)).toEqual({ message: 'Invalid authentication credentials' });
    const garbage = await runRequest(index(), testContext({ headers: { authorization: 'Bearer x' } }));
    expect(garbage.exited?.status).toBe(401);
  });

  it('hides credentials', async () => {
    const ctx = await runRequest(
      index({ hide_credentials: true }),
      testContext({ headers: { authorization: basic('alice', 's3cret') } }),
    );
    expect(ctx.request.headers.authorization).toBeUndefined();
  });
});

describe('acl', () => {
  const index = (acl: Record<string, unknown>) =>
    testIndex({
      ...base,
      plugins: [
        { id: 'ka', name: 'key-auth', config: {} },
        { id: 'acl', name: 'acl', config: acl },
      ],
    });

  it('allows listed groups and sets X-Consumer-Groups', async () => {
    const ctx = await runRequest(
      index({ allow: ['gold'] }),
      testContext({ headers: { apikey: 'alice-key' } }),
    );
    expect(ctx.exited).toBeNull();
    expect(ctx.request.headers['x-consumer-groups']).toBe('gold, silver');
    const denied = await runRequest(
      index({ allow: ['gold'] }),
      testContext({ headers: { apikey: 'bob-key' } }),
    );
    expect(denied.exited?.status).toBe(403);
    expect(exitJson(denied)).toEqual({ message: 'You cannot consume this service' });
  });

  it('denies listed groups and can hide the groups header', async () => {
    const denied = await runRequest(
      index({ deny: ['silver'] }),
      testContext({ headers: { apikey: 'alice-key' } }),
    );
    expect(denied.exited?.status).toBe(403);
    const ok = await runRequest(
      index({ deny: ['silver'], hide_groups_header: true }),
      testContext({ headers: { apikey: 'bob-key' } }),
    );
    expect(ok.exited).toBeNull();
    expect(ok.request.headers['x-consumer-groups']).toBeUndefined();
  });

  it('answers 401 without an authenticated consumer', async () => {
    const only = testIndex({ ...base, plugins: [{ id: 'acl', name: 'acl', config: { allow: ['gold'] } }] });
    const ctx = await runRequest(only, testContext());
    expect(ctx.exited?.status).toBe(401);
  });
});
