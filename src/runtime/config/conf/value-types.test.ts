import { describe, expect, it } from '@jest/globals';
import { ConfError } from '../../errors.js';
import { loadConf } from './load-conf.js';

// Each value type through loadConf, so the whole `key: reason (expected ...)` line is checked.
function error(env: Record<string, string>): string {
  try {
    loadConf({ env, cwd: '/' });
  } catch (err) {
    if (err instanceof ConfError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfError');
}

describe('value types', () => {
  it.each([
    [{ KONG_ROLE: '' }, 'role: an empty value is not allowed (expected one of traditional, control_plane, data_plane)'],
    [{ KONG_DATABASE: 'cassandra' }, 'database: "cassandra" is not allowed (expected one of lmdb, postgres, off)'],
    [{ KONG_PG_TIMEOUT: '0' }, 'pg_timeout: 0 is too small (expected an integer >= 1)'],
    [{ KONG_PG_PORT: '65536' }, 'pg_port: 65536 is too large (expected an integer between 1 and 65535)'],
    [{ KONG_CLUSTER_PING_INTERVAL: '1.5' }, 'cluster_ping_interval: "1.5" is not an integer (expected an integer between 1 and 3600)'],
    [{ KONG_CLUSTER_RECONNECT_BASE: '0' }, 'cluster_reconnect_base: 0 is too small (expected a number > 0)'],
    [
      { KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '99999999999999g' },
      'nginx_http_client_max_body_size: 99999999999999g is too large (expected a size in bytes with an optional k, m or g unit)',
    ],
    [
      { KONG_TRUSTED_IPS: '10.0.0.0/33' },
      'trusted_ips: "10.0.0.0/33" has an invalid prefix length (expected a comma-separated list of IP addresses or CIDR blocks)',
    ],
    [
      { KONG_TRUSTED_IPS: '10.0.0.1,,10.0.0.2' },
      'trusted_ips: item 2 is empty (expected a comma-separated list of IP addresses or CIDR blocks)',
    ],
    [{ KONG_TRUSTED_IPS: 'example.com' }, 'trusted_ips: "example.com" is not an IP address or CIDR (expected a comma-separated list of IP addresses or CIDR blocks)'],
    [{ KONG_HEADERS: 'X-Powered-By' }, expect.stringMatching(/^headers: "X-Powered-By" is not a known header \(expected a comma-separated list of server_tokens, latency_tokens, Server/)],
    [{ KONG_PLUGINS: 'off, cors' }, expect.stringMatching(/^plugins: off cannot be combined with plugin names \(expected bundled, off/)],
    [{ KONG_PLUGINS: 'Key Auth' }, expect.stringMatching(/^plugins: "Key Auth" is not a plugin name/)],
    [{ KONG_CLUSTER_SERVER_NAME: 'bad name' }, 'cluster_server_name: "bad name" is not a host name (expected a host name)'],
    [{ KONG_PREFIX: '' }, 'prefix: an empty value is not allowed (expected a file system path)'],
  ])('%j', (env, message) => {
    expect(error(env)).toEqual(message);
  });

  it('accepts the NONE spelling (empty) for nullable properties', () => {
    const { conf } = loadConf({ env: { KONG_PG_PASSWORD: '', KONG_CLUSTER_SERVER_NAME: '' }, cwd: '/' });
    expect(conf.pg_password).toBeNull();
    expect(conf.cluster_server_name).toBeNull();
  });
});
