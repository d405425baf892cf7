import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DbError } from '../../errors.js';
import { fieldKind } from './field-kind.js';
import { translatePcre } from './route-path.js';
import { selfSigned } from './test-certs.js';
import { validateEntity } from './validate.js';

const CONSUMER = { id: '0b5d6c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e' };
const UP = { id: '1c6e7d2f-3a4b-4c6d-9e0f-1a2b3c4d5e6f' };

function fieldsOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DbError);
    return (err as DbError).fields;
  }
  throw new Error('expected a schema violation');
}

describe('upstreams and targets', () => {
  it('fills Kong healthcheck defaults', () => {
    const u = validateEntity('upstreams', { name: 'api.internal' });
    expect(u).toMatchObject({ algorithm: 'round-robin', hash_on: 'none', hash_fallback: 'none', slots: 10000, hash_on_cookie_path: '/' });
    expect(u.healthchecks).toEqual({
      active: {
        type: 'http',
        timeout: 1,
        concurrency: 10,
        http_path: '/',
        headers: null,
        https_sni: null,
        https_verify_certificate: true,
        healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
        unhealthy: { interval: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505], tcp_failures: 0, timeouts: 0, http_failures: 0 },
      },
      passive: {
        type: 'http',
        healthy: {
          http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
          successes: 0,
        },
        unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
      },
      threshold: 0,
    });
  });

  it('checks names, slots, hashing fields', () => {
    expect(fieldsOf(() => validateEntity('upstreams', { name: 'bad name!', slots: 5 }))).toEqual({
      name: 'invalid hostname: bad name!',
      slots: 'value should be between 10 and 65536',
    });
    expect(fieldsOf(() => validateEntity('upstreams', { name: 'u', hash_on: 'header' }))).toEqual({ hash_on_header: 'required field missing' });
    expect(fieldsOf(() => validateEntity('upstreams', { name: 'u', healthchecks: { active: { healthy: { successes: 300 } } } }))).toEqual({
      healthchecks: { active: { healthy: { successes: 'value should be between 0 and 255' } } },
    });
  });

  it('normalises targets and bounds the weight', () => {
    expect(validateEntity('targets', { upstream: UP, target: 'example.com' }).target).toBe('example.com:8000');
    expect(validateEntity('targets', { upstream: UP, target: '::1' }).target).toBe('[::1]:8000');
    expect(validateEntity('targets', { upstream: UP, target: '[fe80::1]:81' })).toMatchObject({ target: '[fe80::1]:81', weight: 100 });
    expect(fieldsOf(() => validateEntity('targets', { upstream: UP, target: 'a b', weight: 70000 }))).toEqual({
      target: "Invalid target ('a b'); not a valid hostname or ip address",
    });
    expect(fieldsOf(() => validateEntity('targets', { upstream: UP, target: 'a', weight: 70000 }))).toEqual({
      weight: 'value should be between 0 and 65535',
    });
    expect(fieldsOf(() => validateEntity('targets', { target: 'a' }))).toEqual({ upstream: 'required field missing' });
  });
});

describe('consumers and credentials', () => {
  it('needs a username or custom_id', () => {
    expect(fieldsOf(() => validateEntity('consumers', {}))).toEqual({
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    });
    expect(validateEntity('consumers', { custom_id: 'c1' })).toMatchObject({ username: null, custom_id: 'c1' });
  });

  it('generates key-auth keys and hashes basic-auth passwords as Kong does', () => {
    expect(validateEntity('keyauth_credentials', { consumer: CONSUMER }).key).toMatch(/^[0-9a-f]{32}$/);
    const b = validateEntity('basicauth_credentials', { consumer: CONSUMER, username: 'u', password: 'pw' });
    expect(b.password).toBe(createHash('sha1').update(`pw${CONSUMER.id}`).digest('hex'));
    const kept = validateEntity('basicauth_credentials', { username: 'v' }, { existing: b });
    expect(kept.password).toBe(b.password);
    expect(validateEntity('acls', { consumer: CONSUMER, group: 'g' })).toMatchObject({ group: 'g', tags: null });
    expect(fieldsOf(() => validateEntity('acls', { consumer: CONSUMER }))).toEqual({ group: 'required field missing' });
  });
});

describe('certificates, snis, ca_certificates', () => {
  const ec = selfSigned();
  const rsa = selfSigned({ rsa: true });

  it('accepts a matching pair and refuses a mismatch or garbage', () => {
    expect(validateEntity('certificates', { cert: ec.cert, key: ec.key, cert_alt: rsa.cert, key_alt: rsa.key })).toMatchObject({ cert: ec.cert });
    expect(fieldsOf(() => validateEntity('certificates', { cert: ec.cert, key: rsa.key }))).toEqual({
      '@entity': ['certificate does not match key'],
    });
    const bad = fieldsOf(() => validateEntity('certificates', { cert: 'nope', key: ec.key })) as Record<string, string>;
    expect(bad.cert).toMatch(/^invalid certificate: /);
  });

  it('validates SNI names and CA certificates, computing the digest', () => {
    const certificate = { id: '2d7f8e3a-4b5c-4d7e-8f01-2b3c4d5e6f70' };
    expect(validateEntity('snis', { name: '*.example.com', certificate }).name).toBe('*.example.com');
    expect(fieldsOf(() => validateEntity('snis', { name: 'a.*.com', certificate }))).toEqual({ name: 'invalid value: a.*.com' });
    const ca = selfSigned({ ca: true });
    const stored = validateEntity('ca_certificates', { cert: ca.cert });
    expect(stored.cert_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(fieldsOf(() => validateEntity('ca_certificates', { cert: ec.cert }))).toEqual({
      cert: 'certificate does not appear to be a CA because it is missing the "CA" basic constraint',
    });
  });
});

describe('plugins', () => {
  it('fills config defaults and protocols from the plugin', () => {
    const p = validateEntity('plugins', { name: 'key-auth' });
    expect(p).toMatchObject({
      enabled: true,
      protocols: ['grpc', 'grpcs', 'http', 'https'],
      config: { key_names: ['apikey'], hide_credentials: false, anonymous: null, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true },
    });
  });

  it('nests config errors and refuses forbidden scopes and unknown plugins', () => {
    const e = fieldsOf(() => validateEntity('plugins', { name: 'rate-limiting', config: { minute: 'x', bogus: 1 } }));
    expect(e).toEqual({ config: { minute: 'expected a number', bogus: 'unknown field' } });
    expect(fieldsOf(() => validateEntity('plugins', { name: 'key-auth', consumer: CONSUMER }))).toEqual({ consumer: 'value must be null' });
    expect(fieldsOf(() => validateEntity('plugins', { name: 'nope' }))).toEqual({
      name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property",
    });
    expect(fieldsOf(() => validateEntity('plugins', { name: 'cors', protocols: ['tcp'] }))).toEqual({
      protocols: ['expected one of: grpc, grpcs, http, https'],
    });
  });
});

describe('fieldKind', () => {
  it('derives kinds from the schemas, through the plugin named', () => {
    expect(fieldKind('services', 'port')).toBe('integer');
    expect(fieldKind('services', 'host')).toBe('string');
    expect(fieldKind('services', 'enabled')).toBe('boolean');
    expect(fieldKind('routes', 'paths')).toBe('array');
    expect(fieldKind('routes', 'paths[]')).toBe('string');
    expect(fieldKind('routes', 'https_redirect_status_code')).toBe('integer');
    expect(fieldKind('routes', 'headers.x-foo')).toBe('array');
    expect(fieldKind('routes', 'service.id')).toBe('string');
    expect(fieldKind('upstreams', 'healthchecks.active.timeout')).toBe('number');
    expect(fieldKind('plugins', 'config.minute', { pluginName: 'rate-limiting' })).toBe('number');
    expect(fieldKind('plugins', 'config.key_names', { pluginName: 'key-auth' })).toBe('array');
    expect(fieldKind('plugins', 'config.minute')).toBe('unknown');
    expect(fieldKind('services', 'nope')).toBe('unknown');
  });
});

describe('route path regex translation', () => {
  it('translates PCRE-isms and refuses what JavaScript cannot do', () => {
    expect(translatePcre('(?i)/a/(?P<id>\\d+)\\z')).toEqual({ source: '/a/(?<id>\\d+)$', flags: 'i' });
    expect(translatePcre('/[[:digit:]]+')).toEqual({ source: '/[0-9]+', flags: '' });
    expect(translatePcre('/\\Qa.b\\E')).toEqual({ source: '/a\\.b', flags: '' });
    expect(() => translatePcre('/(?>a)')).toThrow(/atomic groups/);
    expect(() => translatePcre('/a(?R)')).toThrow(/recursion/);
  });
});
