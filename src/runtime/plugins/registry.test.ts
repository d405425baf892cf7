import { describe, expect, it } from '@jest/globals';
import { valid as semverValid } from 'semver';
import { BUNDLED_PLUGIN_NAMES, BUNDLED_PLUGIN_SCHEMAS, getPluginSchema } from './registry.js';

function config(name: string, input: unknown): Record<string, unknown> {
  const schema = getPluginSchema(name);
  if (schema === undefined) throw new Error(`no plugin ${name}`);
  return schema.config.parse(input);
}

function messages(name: string, input: unknown): string[] {
  const result = getPluginSchema(name)?.config.safeParse(input);
  if (result === undefined || result.success) throw new Error('expected a failure');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('bundled plugin schemas', () => {
  it('carry semver versions and Kong priorities', () => {
    const priorities = Object.fromEntries(
      Object.values(BUNDLED_PLUGIN_SCHEMAS).map((s) => [s.name, s.priority]),
    );
    expect(priorities).toEqual({
      'key-auth': 1250,
      'basic-auth': 1100,
      acl: 950,
      'rate-limiting': 910,
      cors: 2000,
      'ip-restriction': 990,
      'request-transformer': 801,
      'response-transformer': 800,
      'request-size-limiting': 951,
      'correlation-id': 100001,
      prometheus: 13,
    });
    for (const s of Object.values(BUNDLED_PLUGIN_SCHEMAS)) expect(semverValid(s.version)).not.toBeNull();
    expect(BUNDLED_PLUGIN_NAMES[0]).toBe('acl');
    expect(getPluginSchema('toString')).toBeUndefined();
  });

  it('fill Kong defaults', () => {
    expect(config('basic-auth', {})).toEqual({ anonymous: null, hide_credentials: false, realm: 'service' });
    expect(config('rate-limiting', { minute: 5 })).toMatchObject({
      limit_by: 'consumer',
      policy: 'local',
      fault_tolerant: true,
      hide_client_headers: false,
      error_code: 429,
      error_message: 'API rate limit exceeded',
    });
    expect(config('cors', {}).methods).toEqual([
      'GET',
      'HEAD',
      'PUT',
      'PATCH',
      'POST',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'CONNECT',
    ]);
    expect(config('correlation-id', {})).toEqual({
      header_name: 'Kong-Request-ID',
      generator: 'uuid#counter',
      echo_downstream: false,
    });
    expect(config('request-size-limiting', {})).toEqual({
      allowed_payload_size: 128,
      size_unit: 'megabytes',
      require_content_length: false,
    });
    expect(config('request-transformer', {})).toMatchObject({
      http_method: null,
      remove: { body: [], headers: [], querystring: [] },
      replace: { body: [], headers: [], querystring: [], uri: null },
    });
    expect(config('response-transformer', {}).add).toEqual({ headers: [], json: [], json_types: [] });
    expect(config('prometheus', {})).toEqual({
      per_consumer: false,
      status_code_metrics: false,
      latency_metrics: false,
      bandwidth_metrics: false,
      upstream_health_metrics: false,
    });
  });

  it('refuse bad values with clear messages', () => {
    expect(messages('rate-limiting', {})[0]).toMatch(
      /at least one of these fields must be non-empty: 'config.second'/,
    );
    expect(messages('rate-limiting', { minute: 5, policy: 'redis' })).toEqual([
      "policy: policy 'redis' is not supported: only 'local' is available on data planes without a database",
    ]);
    expect(messages('rate-limiting', { second: 10, minute: 5 })).toEqual([
      ': the limit for minute(5) cannot be lower than the limit for second(10)',
    ]);
    expect(messages('rate-limiting', { minute: 5, limit_by: 'header' })).toEqual([
      'header_name: required field missing',
    ]);
    expect(messages('acl', { allow: ['a'], deny: ['b'] })).toEqual([
      ": only one of these fields must be non-empty: 'config.allow', 'config.deny'",
    ]);
    expect(messages('ip-restriction', { allow: ['10.0.0.0/33'] })).toEqual([
      "allow.0: invalid ip or cidr range: '10.0.0.0/33'",
    ]);
    expect(config('ip-restriction', { deny: ['10.0.0.0/8', '::1'] }).deny).toEqual(['10.0.0.0/8', '::1']);
    expect(messages('request-transformer', { add: { headers: ['nocolon'] } })[0]).toMatch(
      /^add.headers.0: invalid value: nocolon/,
    );
    expect(messages('correlation-id', { generator: 'random' })[0]).toMatch(/^generator: /);
    expect(messages('key-auth', { key_names: [] })).toEqual(['key_names: length must be at least 1']);
  });
});
