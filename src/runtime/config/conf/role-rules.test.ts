import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfError } from '../../errors.js';
import { loadConf } from './load-conf.js';
import { makeTestCertificates, type TestPair } from './test-certificates.js';

let certs: ReturnType<typeof makeTestCertificates>;
let pair: TestPair;
let other: TestPair;
beforeAll(() => {
  certs = makeTestCertificates(2);
  [pair, other] = certs.pairs as [TestPair, TestPair];
});
afterAll(() => certs.cleanup());

function errorLines(env: Record<string, string>): string[] {
  try {
    loadConf({ env, cwd: certs.dir });
  } catch (err) {
    if (err instanceof ConfError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfError');
}

const cluster = () => ({ KONG_CLUSTER_CERT: pair.certPath, KONG_CLUSTER_CERT_KEY: pair.keyPath });

describe('data plane rules', () => {
  it('loads a valid data plane', () => {
    const { conf } = loadConf({
      env: {
        ...cluster(),
        KONG_ROLE: 'data_plane',
        KONG_DATABASE: 'off',
        KONG_CLUSTER_DP_LABELS: 'region:eu',
        KONG_CLUSTER_CONTROL_PLANE: 'cp.internal:8005',
      },
      cwd: certs.dir,
    });
    expect(conf.role).toBe('data_plane');
    expect(conf.cluster_dp_labels).toEqual({ region: 'eu' });
    expect(conf.cluster_control_plane).toEqual([{ host: 'cp.internal', port: 8005 }]);
  });

  it('requires database = off, with the hint', () => {
    expect(errorLines({ ...cluster(), KONG_ROLE: 'data_plane' })).toEqual([
      'database: "lmdb" is not allowed when role = data_plane; data planes keep no database (hint: set database = off)',
    ]);
  });

  it('requires a proxy listener and the cluster certificate and key, all reported together', () => {
    expect(errorLines({ KONG_ROLE: 'data_plane', KONG_DATABASE: 'off', KONG_PROXY_LISTEN: 'off' })).toEqual([
      'proxy_listen: must not be off when role = data_plane (expected at least one listener)',
      'cluster_cert: is required when role = data_plane (expected a path, PEM content or base64 PEM; see hybridgate hybrid gen_cert)',
      'cluster_cert_key: is required when role = data_plane (expected a path, PEM content or base64 PEM; see hybridgate hybrid gen_cert)',
    ]);
  });
});

describe('control plane rules', () => {
  const cp = () => ({ ...cluster(), KONG_ROLE: 'control_plane' });

  it('loads a valid control plane', () => {
    expect(loadConf({ env: cp(), cwd: certs.dir }).conf.cluster_cert?.path).toBe(pair.certPath);
  });

  it('refuses database = off, cluster_listen = off and admin_listen = off', () => {
    expect(
      errorLines({ ...cp(), KONG_DATABASE: 'off', KONG_CLUSTER_LISTEN: 'off', KONG_ADMIN_LISTEN: 'off' }),
    ).toEqual([
      'database: "off" is not allowed when role = control_plane (expected lmdb or postgres)',
      'cluster_listen: must not be off when role = control_plane (expected at least one listener)',
      'admin_listen: must not be off when role = control_plane (expected at least one listener)',
    ]);
  });

  it('requires the cluster certificate and key', () => {
    expect(errorLines({ KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: pair.certPath })).toEqual([
      'cluster_cert_key: is required when role = control_plane (expected a path, PEM content or base64 PEM; see hybridgate hybrid gen_cert)',
    ]);
  });

  it('requires cluster_ca_cert in pki mode', () => {
    expect(errorLines({ ...cp(), KONG_CLUSTER_MTLS: 'pki' })).toEqual([
      'cluster_ca_cert: is required when role = control_plane and cluster_mtls = pki (expected the root CA)',
    ]);
    const ok = loadConf({ env: { ...cp(), KONG_CLUSTER_MTLS: 'pki', KONG_CLUSTER_CA_CERT: other.certPath }, cwd: certs.dir });
    expect(ok.conf.cluster_ca_cert?.pem).toBe(other.cert);
  });

  it.each(['control_plane', 'traditional'])('refuses cluster_dp_labels when role = %s', (role) => {
    expect(errorLines({ ...cluster(), KONG_ROLE: role, KONG_CLUSTER_DP_LABELS: 'region:eu' })).toEqual([
      `cluster_dp_labels: is not allowed when role = ${role} (expected only when role = data_plane)`,
    ]);
  });

  it('reports label problems of a data plane as a conf error naming the key', () => {
    const lines = errorLines({
      ...cluster(),
      KONG_ROLE: 'data_plane',
      KONG_DATABASE: 'off',
      KONG_CLUSTER_DP_LABELS: 'kong-tier:gold',
    });
    expect(lines).toEqual([expect.stringMatching(/^cluster_dp_labels: label "kong-tier:gold": keys starting with "kong" are reserved \(expected at most 10/)]);
  });
});

describe('certificates as path, PEM and base64', () => {
  const load = (cert: string, key: string) =>
    loadConf({ env: { KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: cert, KONG_CLUSTER_CERT_KEY: key }, cwd: certs.dir })
      .conf;

  it('reads a path (relative paths from the working directory)', () => {
    const conf = load('cert0.crt', pair.keyPath);
    expect(conf.cluster_cert).toEqual({ path: pair.certPath, pem: pair.cert });
    expect(conf.cluster_cert_key).toEqual({ path: pair.keyPath, pem: pair.key });
  });

  it('reads inline PEM, also with escaped newlines', () => {
    const conf = load(pair.cert, pair.key.replace(/\n/g, '\\n'));
    expect(conf.cluster_cert).toEqual({ path: null, pem: pair.cert });
    expect(conf.cluster_cert_key?.pem.trim()).toBe(pair.key.trim());
  });

  it('reads base64 PEM', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const conf = load(b64(pair.cert), b64(pair.key));
    expect(conf.cluster_cert).toEqual({ path: null, pem: pair.cert });
    expect(conf.cluster_cert_key).toEqual({ path: null, pem: pair.key });
  });

  it('names the key of a missing file, a non-PEM file and a certificate where a key is expected', () => {
    expect(
      errorLines({ KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: '/nonexistent/c.crt', KONG_CLUSTER_CERT_KEY: pair.certPath }),
    ).toEqual([
      'cluster_cert: file /nonexistent/c.crt does not exist (expected a path to a PEM certificate file, PEM content or base64-encoded PEM)',
      `cluster_cert_key: file ${pair.certPath} holds no PEM private key (expected a path to a PEM private key file, PEM content or base64-encoded PEM)`,
    ]);
    expect(errorLines({ ...cluster(), KONG_ROLE: 'control_plane', KONG_CLUSTER_CA_CERT: certs.dir })).toEqual([
      `cluster_ca_cert: ${certs.dir} is not a file (expected a path to a PEM certificate file, PEM content or base64-encoded PEM)`,
    ]);
  });

  it('never echoes an inline key in an error', () => {
    const broken = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n';
    const lines = errorLines({ KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: pair.certPath, KONG_CLUSTER_CERT_KEY: broken });
    expect(lines).toEqual([
      'cluster_cert_key: the inline PEM value holds a private key that cannot be parsed (expected a path to a PEM private key file, PEM content or base64-encoded PEM)',
    ]);
    expect(lines.join()).not.toContain('c2VjcmV0');
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(errorLines({ KONG_ROLE: 'data_plane', KONG_DATABASE: 'off', KONG_CLUSTER_CERT: pair.certPath, KONG_CLUSTER_CERT_KEY: other.keyPath })).toEqual([
      `cluster_cert_key: does not match cluster_cert ${pair.certPath} (expected the private key of that certificate)`,
    ]);
  });

  it('checks ssl_cert and ssl_cert_key pairwise, in lists', () => {
    const conf = loadConf({
      env: { KONG_SSL_CERT: `${pair.certPath},${other.certPath}`, KONG_SSL_CERT_KEY: `${pair.keyPath}, ${other.keyPath}` },
      cwd: certs.dir,
    }).conf;
    expect(conf.ssl_cert.map((c) => c.path)).toEqual([pair.certPath, other.certPath]);
    expect(errorLines({ KONG_SSL_CERT: `${pair.certPath},${other.certPath}`, KONG_SSL_CERT_KEY: `${other.keyPath},${other.keyPath}` })).toEqual([
      `ssl_cert_key: key 1 does not match ssl_cert ${pair.certPath} (expected the private key of that certificate)`,
    ]);
    expect(errorLines({ KONG_SSL_CERT: pair.certPath })).toEqual([
      'ssl_cert_key: 0 keys for 1 certificates in ssl_cert (expected one key per certificate, in the same order)',
    ]);
  });

  it('reads a list of inline PEM certificates separated by commas', () => {
    const conf = loadConf({
      env: { KONG_SSL_CERT: `${pair.cert},${other.cert}`, KONG_SSL_CERT_KEY: `${pair.key}, ${other.key}` },
      cwd: certs.dir,
    }).conf;
    expect(conf.ssl_cert.map((c) => c.pem.trim())).toEqual([pair.cert.trim(), other.cert.trim()]);
  });
});
