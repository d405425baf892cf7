import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConf } from './load-conf.js';
import { INLINE_PEM, REDACTED, redactConf } from './redact-conf.js';
import { makeTestCertificates, type TestPair } from './test-certificates.js';

let certs: ReturnType<typeof makeTestCertificates>;
let pair: TestPair;
beforeAll(() => {
  certs = makeTestCertificates(1);
  pair = certs.pairs[0]!;
});
afterAll(() => certs.cleanup());

describe('redactConf', () => {
  it('masks secrets, shows certificates by path or as <inline PEM>, and keeps the rest', () => {
    const { conf } = loadConf({
      env: {
        KONG_ROLE: 'control_plane',
        KONG_CLUSTER_CERT: pair.certPath,
        KONG_CLUSTER_CERT_KEY: pair.keyPath,
        KONG_CLUSTER_CA_CERT: pair.cert,
        KONG_SSL_CERT: pair.certPath,
        KONG_SSL_CERT_KEY: pair.key,
        KONG_PG_PASSWORD: 'hunter2',
      },
      cwd: certs.dir,
    });
    const shown = redactConf(conf);
    expect(shown.cluster_cert).toBe(pair.certPath);
    expect(shown.cluster_ca_cert).toBe(INLINE_PEM);
    expect(shown.cluster_cert_key).toBe(REDACTED);
    expect(shown.ssl_cert).toEqual([pair.certPath]);
    expect(shown.ssl_cert_key).toEqual([REDACTED]);
    expect(shown.pg_password).toBe(REDACTED);
    expect(shown.admin_ssl_cert_key).toEqual([]);
    expect(shown.role).toBe('control_plane');
    expect(shown.admin_listen).toEqual(conf.admin_listen);

    const text = JSON.stringify(shown);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('BEGIN CERTIFICATE');
  });

  it('keeps unset secrets visible as unset, and does not share structure with the conf', () => {
    const { conf } = loadConf({ env: {}, cwd: certs.dir });
    const shown = redactConf(conf);
    expect(shown.pg_password).toBeNull();
    expect(shown.cluster_cert_key).toBeNull();
    (shown.proxy_listen as { port: number }[])[0]!.port = 1;
    expect(conf.proxy_listen[0]!.port).toBe(8000);
  });
});
