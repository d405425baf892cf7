import { describe, expect, it } from '@jest/globals';
import { DbError } from '../../errors.js';
import type { Entity } from './definition.js';
import { validateEntity } from './validate.js';

const ID = '8a1f2a4e-7c4b-4d7e-9f0e-3c2b1a0d9e8f';

function violation(fn: () => unknown): DbError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DbError);
    const e = err as DbError;
    expect(e.kind).toBe('SCHEMA_VIOLATION');
    expect(e.status).toBe(400);
    return e;
  }
  throw new Error('expected a schema violation');
}

describe('validateEntity: services', () => {
  it('fills Kong defaults and timestamps on insert', () => {
    const s = validateEntity('services', { host: 'example.com' }, { now: 1700000000 });
    expect(s).toMatchObject({
      host: 'example.com',
      protocol: 'http',
      port: 80,
      path: null,
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      name: null,
      tags: null,
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
      created_at: 1700000000,
      updated_at: 1700000000,
    });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('expands the url shorthand, with the scheme default port, and does not store url', () => {
    const s = validateEntity('services', { url: 'https://api.example.com/v1' });
    expect(s).toMatchObject({ protocol: 'https', host: 'api.example.com', port: 443, path: '/v1' });
    expect('url' in s).toBe(false);
    expect(validateEntity('services', { url: 'http://h:8080' })).toMatchObject({ port: 8080, path: null });
    const e = violation(() => validateEntity('services', { url: 'not a url' }));
    expect(e.fields).toEqual({ url: 'invalid url: not a url' });
  });

  it('words errors as Kong does, one and several', () => {
    const one = violation(() => validateEntity('services', {}));
    expect(one.message).toBe('schema violation (host: required field missing)');
    expect(one.fields).toEqual({ host: 'required field missing' });
    const two = violation(() => validateEntity('services', { host: 'h', port: 70000, retries: 1.5, protocol: 'ftp' }));
    expect(two.fields).toEqual({
      port: 'value should be between 0 and 65535',
      retries: 'expected an integer',
      protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss',
    });
    expect(two.message).toBe(
      '3 schema violations (port: value should be between 0 and 65535; protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss; retries: expected an integer)',
    );
  });

  it('refuses unknown fields, bad paths and tls fields on plain http', () => {
    const e = violation(() => validateEntity('services', { host: 'h', colour: 'red', path: 'x', tls_verify: true }));
    expect(e.fields).toEqual({ colour: 'unknown field', path: 'should start with: /', tls_verify: 'value must be null' });
    const t = violation(() => validateEntity('services', { host: 'h', tls_verify: true }));
    expect(t.fields).toEqual({ tls_verify: 'value must be null' });
    expect(validateEntity('services', { host: 'h', protocol: 'https', tls_verify: true }).tls_verify).toBe(true);
    expect(violation(() => validateEntity('services', { host: 'h', connect_timeout: 0 })).fields).toEqual({
      connect_timeout: 'value should be between 1 and 2147483646',
    });
  });

  it('refuses a non-object body', () => {
    expect(violation(() => validateEntity('services', [1])).fields).toEqual({ '@entity': ['expected a record'] });
  });
});

describe('validateEntity: PATCH merge', () => {
  const existing = validateEntity('services', { id: ID, host: 'a.example', name: 'svc', tags: ['x', 'y'] }, { now: 1 });

  it('merges over the existing entity, keeps id and created_at, bumps updated_at', () => {
    const updated = validateEntity('services', { port: 8080 }, { existing, now: 99 });
    expect(updated).toMatchObject({ id: ID, host: 'a.example', name: 'svc', port: 8080, created_at: 1, updated_at: 99 });
  });

  it('replaces arrays and sets null', () => {
    const updated = validateEntity('services', { tags: ['z'], name: null }, { existing, now: 2 });
    expect(updated.tags).toEqual(['z']);
    expect(updated.name).toBeNull();
  });

  it('merges records field by field (upstream healthchecks, plugin config)', () => {
    const up = validateEntity('upstreams', { name: 'up.internal' });
    const patched = validateEntity('upstreams', { healthchecks: { active: { healthy: { interval: 5 } } } }, { existing: up });
    const active = (patched.healthchecks as { active: Record<string, unknown> }).active;
    expect(active.healthy).toEqual({ interval: 5, http_statuses: [200, 302], successes: 0 });
    expect(active.http_path).toBe('/');
    const p = validateEntity('plugins', { name: 'rate-limiting', config: { minute: 10, hour: 100 } });
    const p2 = validateEntity('plugins', { config: { minute: 20 } }, { existing: p as Entity });
    expect(p2.config).toMatchObject({ minute: 20, hour: 100, policy: 'local' });
  });

  it('never lets a __proto__ key in a parsed body change the merged object', () => {
    const patch = JSON.parse('{"port": 8081, "__proto__": {"host": "evil.example", "polluted": true}}') as Record<
      string,
      unknown
    >;
    const updated = validateEntity('services', patch, { existing, now: 3 });
    expect(updated).toMatchObject({ host: 'a.example', port: 8081 });
    expect(Object.getPrototypeOf(updated)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validates the merged whole', () => {
    const e = violation(() => validateEntity('services', { port: -1 }, { existing }));
    expect(e.fields).toEqual({ port: 'value should be between 0 and 65535' });
  });
});

describe('validateEntity: routes', () => {
  it('fills defaults', () => {
    const r = validateEntity('routes', { paths: ['/a'], service: { id: ID } });
    expect(r).toMatchObject({
      protocols: ['http', 'https'],
      https_redirect_status_code: 426,
      regex_priority: 0,
      strip_path: true,
      preserve_host: false,
      request_buffering: true,
      response_buffering: true,
      path_handling: 'v0',
      methods: null,
      hosts: null,
      headers: null,
      snis: null,
      service: { id: ID },
    });
  });

  it('requires one matching field for http routes (entity-level error)', () => {
    const e = violation(() => validateEntity('routes', { protocols: ['http'] }));
    expect(e.fields).toEqual({ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] });
    expect(e.message).toBe("schema violation (must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http')");
  });

  it('checks paths, compiling regexes and translating PCRE-isms', () => {
    expect(validateEntity('routes', { paths: ['~/users/(?P<id>\\d+)$', '/plain'] }).paths).toHaveLength(2);
    const e = violation(() => validateEntity('routes', { paths: ['/ok', 'nope', '~/a(', '~/x++'] }));
    const paths = (e.fields as { paths: (string | null)[] }).paths;
    expect(paths[0]).toBeNull();
    expect(paths[1]).toBe('should start with: / (fixed path) or ~/ (regex path)');
    expect(paths[2]).toMatch(/^invalid regex: '\/a\('/);
    expect(paths[3]).toMatch(/possessive quantifier/);
    expect(e.message).toMatch(/^3 schema violations \(paths\.2: should start with/);
  });

  it('checks hosts wildcards, headers and snis', () => {
    expect(validateEntity('routes', { hosts: ['*.example.com', 'example.*', 'a.b:8080'] }).hosts).toHaveLength(3);
    const e = violation(() =>
      validateEntity('routes', {
        protocols: ['http'],
        hosts: ['a.*.com', '*.*.com'],
        headers: { Host: ['x'] },
        snis: ['x.example'],
      }),
    );
    expect(e.fields).toEqual({
      hosts: ['invalid wildcard: must be placed at leftmost or rightmost label', 'only one wildcard must be specified'],
      headers: { Host: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" },
    });
    const s = violation(() => validateEntity('routes', { protocols: ['http'], hosts: ['a.com'], snis: ['a.com'] }));
    expect(s.fields).toEqual({
      snis: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls', 'tls_passthrough' or 'wss'",
    });
  });

  it('refuses mixed protocol families and a bad redirect code', () => {
    const e = violation(() => validateEntity('routes', { protocols: ['http', 'tcp'], paths: ['/'] }));
    expect((e.fields as Record<string, string>).protocols).toMatch(/^these sets are mutually exclusive/);
    const c = violation(() => validateEntity('routes', { paths: ['/'], https_redirect_status_code: 300 }));
    expect(c.fields).toEqual({ https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308' });
  });
});
