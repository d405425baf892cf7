import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfError } from '../../errors.js';
import { loadConf } from './load-conf.js';
import { BUNDLED_PLUGINS, PROPERTY_NAMES } from './properties.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hg-load-conf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConf(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The ConfError a load throws, or a failure if it loads. */
function confError(run: () => unknown): ConfError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfError) return err;
    throw err;
  }
  throw new Error('expected a ConfError');
}

const listener = (host: string, port: number, extra: object = {}) => ({
  host,
  port,
  ssl: false,
  http2: false,
  proxyProtocol: false,
  reusePort: true,
  backlog: 16384,
  ...extra,
});

describe('loadConf defaults', () => {
  it('gives every property its default (Kong 3.x values, ours where noted)', () => {
    const { conf, warnings } = loadConf({ env: {}, cwd: dir });
    expect(warnings).toEqual([]);
    expect(conf).toEqual({
      role: 'traditional',
      prefix: '/usr/local/hybridgate',
      log_level: 'notice',
      database: 'lmdb',
      declarative_config: null,
      plugins: [...BUNDLED_PLUGINS],
      proxy_listen: [listener('0.0.0.0', 8000), listener('0.0.0.0', 8443, { ssl: true, http2: true })],
      admin_listen: [listener('127.0.0.1', 8001), listener('127.0.0.1', 8444, { ssl: true, http2: true })],
      status_listen: [],
      ssl_cert: [],
      ssl_cert_key: [],
      admin_ssl_cert: [],
      admin_ssl_cert_key: [],
      admin_auth: 'off',
      admin_auth_tokens_file: null,
      trusted_ips: [],
      real_ip_header: 'X-Real-IP',
      real_ip_recursive: false,
      headers: ['server_tokens', 'latency_tokens'],
      nginx_http_client_max_body_size: 0,
      nginx_http_client_header_timeout: 60_000,
      nginx_http_client_body_timeout: 60_000,
      nginx_http_keepalive_timeout: 60_000,
      upstream_keepalive_pool_size: 512,
      upstream_keepalive_max_requests: 1000,
      upstream_keepalive_idle_timeout: 60,
      worker_processes: 1,
      cluster_listen: [listener('0.0.0.0', 8005, { reusePort: false, backlog: null })],
      cluster_telemetry_listen: [listener('0.0.0.0', 8006, { reusePort: false, backlog: null })],
      cluster_control_plane: [{ host: '127.0.0.1', port: 8005 }],
      cluster_telemetry_endpoint: { host: '127.0.0.1', port: 8006 },
      cluster_mtls: 'shared',
      cluster_cert: null,
      cluster_cert_key: null,
      cluster_ca_cert: null,
      cluster_server_name: null,
      cluster_telemetry_server_name: null,
      cluster_ocsp: 'off',
      cluster_dp_labels: {},
      cluster_max_payload: 16777216,
      cluster_data_plane_purge_delay: 1209600,
      cluster_ping_interval: 30,
      cluster_max_connections_per_ip: 128,
      cluster_max_handshakes_in_flight: 128,
      cluster_handshake_timeout: 10,
      cluster_reconnect_base: 1,
      cluster_reconnect_cap: 30,
      db_update_frequency: 5,
      data_plane_config_cache_mode: 'unencrypted',
      data_plane_config_cache_path: null,
      lmdb_environment_path: 'dbless.lmdb',
      lmdb_map_size: 2048 * 1024 * 1024,
      pg_host: '127.0.0.1',
      pg_port: 5432,
      pg_user: 'kong',
      pg_password: null,
      pg_database: 'kong',
      pg_schema: null,
      pg_ssl: false,
      pg_ssl_verify: false,
      pg_timeout: 5000,
      pg_max_concurrent_queries: 0,
    });
    // The expectation above lists every property: a new one must get a default test too.
    expect(Object.keys(conf).sort()).toEqual([...PROPERTY_NAMES].sort());
  });
});

describe('loadConf sources and precedence', () => {
  const file = () => writeConf('precedence.conf', 'log_level = info\npg_user = from_file\npg_host = file.host\n');

  it('file beats default', () => {
    const { conf } = loadConf({ file: file(), env: {}, cwd: dir });
    expect(conf.log_level).toBe('info');
    expect(conf.pg_database).toBe('kong');
  });

  it('KONG_ beats the file, HYBRIDGATE_ beats KONG_, overrides beat both', () => {
    const env = {
      KONG_LOG_LEVEL: 'warn',
      HYBRIDGATE_LOG_LEVEL: 'error',
      KONG_PG_USER: 'from_kong_env',
      KONG_PREFIX: '/from/kong',
      HYBRIDGATE_PREFIX: '/from/hybridgate',
    };
    const { conf } = loadConf({ file: file(), env, overrides: { prefix: '/from/flag' }, cwd: dir });
    expect(conf.log_level).toBe('error');
    expect(conf.pg_user).toBe('from_kong_env');
    expect(conf.pg_host).toBe('file.host');
    expect(conf.prefix).toBe('/from/flag');
  });

  it('resolves a relative prefix against the working directory and the DP cache path against the prefix', () => {
    const { conf } = loadConf({
      env: { HYBRIDGATE_PREFIX: 'run/node', HYBRIDGATE_DATA_PLANE_CONFIG_CACHE_PATH: 'cache' },
      cwd: dir,
    });
    expect(conf.prefix).toBe(join(dir, 'run/node'));
    expect(conf.data_plane_config_cache_path).toBe(join(dir, 'run/node', 'cache'));
  });

  it('warns about unknown keys in the file and in HYBRIDGATE_ variables, with a suggestion', () => {
    const f = writeConf('unknown.conf', 'log_levle = debug\nnot_a_thing = 1\n');
    const { warnings } = loadConf({
      file: f,
      env: {
        HYBRIDGATE_CLUSTER_LISTENN: 'x',
        KONG_VERSION: '3.9.1',
        HYBRIDGATE_TEST_BIN_DIR: '/tmp/bin',
        HYBRIDGATE_DEMO_PORT_BASE: '9000',
      },
      cwd: dir,
    });
    expect(warnings).toEqual([
      `${f}:1: unknown property log_levle (did you mean log_level?); ignored`,
      `${f}:2: unknown property not_a_thing; ignored`,
      'environment HYBRIDGATE_CLUSTER_LISTENN: unknown property cluster_listenn (did you mean cluster_listen?); ignored',
    ]);
  });

  it('warns about a property that the role does not use', () => {
    const { warnings } = loadConf({ env: { KONG_CLUSTER_CONTROL_PLANE: 'cp.example.com:8005' }, cwd: dir });
    expect(warnings).toEqual([
      'cluster_control_plane is only used when role = data_plane (role is traditional); ignored',
    ]);
  });

  it('fails on a conf file that does not exist', () => {
    const err = confError(() => loadConf({ file: 'nope.conf', env: {}, cwd: dir }));
    expect(err.message).toBe(`conf file ${join(dir, 'nope.conf')} does not exist`);
  });
});

describe('loadConf value parsing', () => {
  const load = (env: Record<string, string>) => loadConf({ env, cwd: dir }).conf;

  it('accepts on/off/true/false for booleans', () => {
    expect(load({ KONG_PG_SSL: 'on' }).pg_ssl).toBe(true);
    expect(load({ KONG_PG_SSL: 'true' }).pg_ssl).toBe(true);
    expect(load({ KONG_PG_SSL: 'FALSE' }).pg_ssl).toBe(false);
  });

  it('reads sizes with k/m/g units', () => {
    expect(load({ KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '8m' }).nginx_http_client_max_body_size).toBe(8388608);
    expect(load({ KONG_LMDB_MAP_SIZE: '1g' }).lmdb_map_size).toBe(1073741824);
    expect(load({ KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '512K' }).nginx_http_client_max_body_size).toBe(524288);
    expect(load({ KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '1234' }).nginx_http_client_max_body_size).toBe(1234);
    // nginx time syntax for the slow-client timeouts, in ms.
    expect(load({ KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT: '500ms' }).nginx_http_client_header_timeout).toBe(500);
    expect(load({ KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT: '2m' }).nginx_http_client_body_timeout).toBe(120_000);
    expect(load({ KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT: '75' }).nginx_http_keepalive_timeout).toBe(75_000);
  });

  it('expands plugins = bundled, bundled,extra and off', () => {
    expect(load({ KONG_PLUGINS: 'bundled,my-plugin' }).plugins).toEqual([...BUNDLED_PLUGINS, 'my-plugin']);
    expect(load({ KONG_PLUGINS: 'cors, key-auth,cors' }).plugins).toEqual(['cors', 'key-auth']);
    expect(load({ KONG_PLUGINS: 'off' }).plugins).toEqual([]);
  });

  it('reads headers, trusted_ips and off listeners', () => {
    const conf = load({
      KONG_HEADERS: 'server_tokens, x-kong-upstream-status',
      KONG_TRUSTED_IPS: '10.0.0.0/8, ::1, 192.168.1.1',
      KONG_ADMIN_LISTEN: 'off',
    });
    expect(conf.headers).toEqual(['server_tokens', 'X-Kong-Upstream-Status']);
    expect(conf.trusted_ips).toEqual(['10.0.0.0/8', '::1', '192.168.1.1']);
    expect(conf.admin_listen).toEqual([]);
    expect(load({ KONG_HEADERS: 'off' }).headers).toEqual([]);
  });
});

describe('loadConf errors', () => {
  it('names the key, the value and what is expected', () => {
    const err = confError(() => loadConf({ env: { KONG_CLUSTER_MAX_PAYLOAD: '1000' }, cwd: dir }));
    expect(err.code).toBe('HG_ERR_CONF');
    expect(err.message).toBe('cluster_max_payload: 1000 is too small (expected an integer >= 4194304)');
  });

  it('reports every error at once, from the file and the environment', () => {
    const f = writeConf(
      'bad.conf',
      'log_level = loud\ncluster_data_plane_purge_delay = 10\nthis line is wrong\npg_port = http\n',
    );
    const err = confError(() =>
      loadConf({
        file: f,
        env: { KONG_PROXY_LISTEN: '0.0.0.0:8000 fast', HYBRIDGATE_PG_SSL: 'maybe', KONG_LMDB_MAP_SIZE: '12q' },
        cwd: dir,
      }),
    );
    expect(err.message.split('\n')).toEqual([
      `${f}:3: "this line is wrong" is not an assignment (expected key = value)`,
      'log_level: "loud" is not allowed (expected one of debug, info, notice, warn, error, crit, alert, emerg)',
      expect.stringMatching(/^proxy_listen: "fast" is not a listener flag \(in "0\.0\.0\.0:8000 fast"\) \(expected off or/),
      'cluster_data_plane_purge_delay: 10 is too small (expected an integer >= 60)',
      'lmdb_map_size: "12q" is not a size (expected a size in bytes with an optional k, m or g unit, at least 1048576 bytes)',
      'pg_port: "http" is not an integer (expected an integer between 1 and 65535)',
      'pg_ssl: "maybe" is not a boolean (expected on, off, true or false)',
    ]);
    const problems = err.context.problems as { key: string; source: string }[];
    expect(problems.find((p) => p.key === 'pg_port')?.source).toBe(`${f}:4`);
    expect(problems.find((p) => p.key === 'pg_ssl')?.source).toBe('environment HYBRIDGATE_PG_SSL');
  });

  it('refuses reconnect cap below base and an empty required value', () => {
    const err = confError(() =>
      loadConf({ env: { KONG_CLUSTER_RECONNECT_BASE: '10', KONG_CLUSTER_RECONNECT_CAP: '5', KONG_PG_HOST: '' }, cwd: dir }),
    );
    expect(err.message.split('\n')).toEqual([
      'pg_host: an empty value is not allowed (expected a non-empty string)',
      'cluster_reconnect_cap: 5 is smaller than cluster_reconnect_base 10 (expected cap >= base)',
    ]);
  });
});
