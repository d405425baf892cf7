/**
 * The PKI-mode certificate matrix of issue 5, with every certificate made by the `openssl` CLI: chains
 * with 0-3 intermediates pass, 4 do not; wrong EKU on either side, a foreign root, expired and
 * not-yet-valid certificates, a server-name mismatch and an intermediate as cluster_ca_cert are refused
 * with the right reason, over the real cluster listener and DP client on loopback TLS.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { certificateExpiry } from '../../src/runtime/pki/cert-inspect.js';
import { PkiError } from '../../src/runtime/pki/errors.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { expectedServerName } from '../../src/runtime/node/cluster-tls.js';
import type { Conf } from '../../src/runtime/config/conf/types.js';
import { tempDir, waitFor } from '../cluster/helpers.js';
import { asn1Time, OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { attempt, pem, startTestCp, startTestDp, type TestCp } from './helpers/pki-cluster.js';

const SERVER_NAME = 'control-plane.kong.yourcorp.tld';
const ALT_NAME = 'cp-alt.kong.yourcorp.tld';
const { dir, cleanup } = tempDir('hg-pki-matrix-');
let root: OpensslCa;
let other: OpensslCa;
const inter: OpensslCa[] = [];
let cpCert: IssuedCert;
const cps: TestCp[] = [];

beforeAll(() => {
  root = OpensslCa.root(dir, 'root', 'Hybrid Root CA');
  other = OpensslCa.root(dir, 'other', 'Some Other Root');
  let parent = root;
  for (let i = 1; i <= 4; i++) {
    parent = parent.intermediate(dir, `inter-${i}`);
    inter.push(parent);
  }
  cpCert = root.issue(dir, 'cp', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME, ALT_NAME] });
});
afterAll(async () => {
  for (const cp of cps.splice(0)) await cp.close();
  cleanup();
});

/** The issuing CA for a chain with `n` intermediates. */
const caWith = (n: number) => (n === 0 ? root : inter[n - 1]!);

const cpPolicy = (cert: IssuedCert = cpCert) =>
  createPkiTlsPolicy({ certPem: pem(cert.chain), keyPem: pem(cert.key), caPem: pem(root.cert) });
const dpPolicy = (cert: IssuedCert, serverName = SERVER_NAME, ca = root.cert) =>
  createPkiTlsPolicy({ certPem: pem(cert.chain), keyPem: pem(cert.key), caPem: pem(ca), serverName });

async function cp(cert?: IssuedCert): Promise<TestCp> {
  const c = await startTestCp(cpPolicy(cert));
  cps.push(c);
  return c;
}

const hoursFromNow = (h: number) => asn1Time(new Date(Date.now() + h * 3600_000));

describe('PKI mode certificate matrix (openssl-made)', () => {
  it.each([0, 1, 2, 3])(
    'accepts a DP chain with %i intermediate(s), an arbitrary CN, and records its notAfter',
    async (n) => {
      const c = await cp();
      const dp = caWith(n).issue(dir, `dp-${n}`, { cn: `any name at all ${n}`, eku: ['clientAuth'] });
      const link = startTestDp(c.port, dpPolicy(dp));
      try {
        const row = await waitFor(
          () => c.registry.list().find((r) => r.status === 'connected'),
          'the DP row',
        );
        expect(row!.cert_details?.expiry_timestamp).toBe(
          certificateExpiry(new X509Certificate(pem(dp.cert))),
        );
      } finally {
        await link.stop();
      }
    },
  );

  it('accepts a CP chain with 3 intermediates and refuses one with 4 (DP side)', async () => {
    const dp = root.issue(dir, 'dp-plain', { cn: 'dp', eku: ['clientAuth'] });
    const three = inter[2]!.issue(dir, 'cp-3', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME] });
    expect(await attempt(await cp(three), dpPolicy(dp))).toEqual({ ok: true });
    const four = inter[3]!.issue(dir, 'cp-4', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME] });
    const r = await attempt(await cp(four), dpPolicy(dp), { refusedBy: 'dp' });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/4 intermediate CAs \(at most 3/) });
  });

  it('refuses a DP chain with 4 intermediates (CP side)', async () => {
    const dp = inter[3]!.issue(dir, 'dp-4', { cn: 'dp', eku: ['clientAuth'] });
    const r = await attempt(await cp(), dpPolicy(dp), { refusedBy: 'cp' });
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(/data plane certificate chain has 4 intermediate CAs/),
    });
  });

  it('refuses a DP certificate without TLS Web Client Authentication, naming the usage', async () => {
    const dp = root.issue(dir, 'dp-server-eku', { cn: 'dp', eku: ['serverAuth'] });
    const r = await attempt(await cp(), dpPolicy(dp), { refusedBy: 'cp' });
    expect(r).toEqual({
      ok: false,
      reason: expect.stringContaining('lacks the extended key usage "TLS Web Client Authentication"'),
    });
  });

  it('refuses a CP certificate without TLS Web Server Authentication, naming the usage', async () => {
    const wrong = root.issue(dir, 'cp-client-eku', {
      cn: SERVER_NAME,
      eku: ['clientAuth'],
      dns: [SERVER_NAME],
    });
    const dp = root.issue(dir, 'dp-ok', { cn: 'dp', eku: ['clientAuth'] });
    const r = await attempt(await cp(wrong), dpPolicy(dp), { refusedBy: 'dp' });
    expect(r).toEqual({
      ok: false,
      reason: expect.stringContaining('lacks the extended key usage "TLS Web Server Authentication"'),
    });
  });

  it('refuses a DP certificate from another root (CP side) and a CP certificate from another root (DP side)', async () => {
    const foreignDp = other.issue(dir, 'dp-other', { cn: 'dp', eku: ['clientAuth'] });
    const r1 = await attempt(await cp(), dpPolicy(foreignDp), { refusedBy: 'cp' });
    expect(r1).toEqual({
      ok: false,
      reason: expect.stringMatching(/not issued by cluster_ca_cert.*Some Other Root/),
    });
    const foreignCp = other.issue(dir, 'cp-other', {
      cn: SERVER_NAME,
      eku: ['serverAuth'],
      dns: [SERVER_NAME],
    });
    const dp = root.issue(dir, 'dp-ok2', { cn: 'dp', eku: ['clientAuth'] });
    // The CP's listener only starts with a CP certificate it can stand behind; the DP is the judge here.
    const c = await startTestCp(
      createPkiTlsPolicy({
        certPem: pem(foreignCp.chain),
        keyPem: pem(foreignCp.key),
        caPem: pem(root.cert),
      }),
    );
    cps.push(c);
    const r2 = await attempt(c, dpPolicy(dp), { refusedBy: 'dp' });
    expect(r2).toEqual({
      ok: false,
      reason: expect.stringMatching(/^control plane certificate (is not issued by|chain)/),
    });
  });

  it('refuses expired and not-yet-valid DP certificates with the dates', async () => {
    const expired = root.issue(dir, 'dp-expired', {
      cn: 'dp',
      eku: ['clientAuth'],
      startdate: hoursFromNow(-48),
      enddate: hoursFromNow(-24),
    });
    const future = root.issue(dir, 'dp-future', {
      cn: 'dp',
      eku: ['clientAuth'],
      startdate: hoursFromNow(24),
      enddate: hoursFromNow(48),
    });
    const c = await cp();
    expect(await attempt(c, dpPolicy(expired), { refusedBy: 'cp' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/data plane certificate CN=dp has expired \(notAfter /),
    });
    expect(await attempt(c, dpPolicy(future), { refusedBy: 'cp' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/data plane certificate CN=dp is not yet valid \(notBefore /),
    });
  });

  it('refuses expired and not-yet-valid CP certificates (DP side)', async () => {
    const dp = root.issue(dir, 'dp-ok3', { cn: 'dp', eku: ['clientAuth'] });
    const expired = root.issue(dir, 'cp-expired', {
      cn: SERVER_NAME,
      eku: ['serverAuth'],
      dns: [SERVER_NAME],
      startdate: hoursFromNow(-48),
      enddate: hoursFromNow(-24),
    });
    const future = root.issue(dir, 'cp-future', {
      cn: SERVER_NAME,
      eku: ['serverAuth'],
      dns: [SERVER_NAME],
      startdate: hoursFromNow(24),
      enddate: hoursFromNow(48),
    });
    expect(await attempt(await cp(expired), dpPolicy(dp), { refusedBy: 'dp' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^control plane certificate has expired/),
    });
    expect(await attempt(await cp(future), dpPolicy(dp), { refusedBy: 'dp' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^control plane certificate is not yet valid/),
    });
  });

  it('checks the server name against CN/SAN: the alternate SAN passes, a mismatch is refused', async () => {
    const dp = root.issue(dir, 'dp-ok4', { cn: 'dp', eku: ['clientAuth'] });
    const c = await cp();
    expect(await attempt(c, dpPolicy(dp, ALT_NAME))).toEqual({ ok: true });
    expect(await attempt(c, dpPolicy(dp, 'elsewhere.yourcorp.tld'), { refusedBy: 'dp' })).toEqual({
      ok: false,
      reason: expect.stringContaining('does not match server name "elsewhere.yourcorp.tld"'),
    });
  });

  it('refuses an intermediate (or a leaf) given as cluster_ca_cert at startup', () => {
    const mk = (ca: string) => () =>
      createPkiTlsPolicy({ certPem: pem(cpCert.chain), keyPem: pem(cpCert.key), caPem: pem(ca) });
    expect(mk(inter[0]!.cert)).toThrow(PkiError);
    expect(mk(inter[0]!.cert)).toThrow(
      /cluster_ca_cert certificate 1 \(CN=inter-1\) is an intermediate CA issued by CN=Hybrid Root CA/,
    );
    expect(mk(cpCert.cert)).toThrow(/is not a CA/);
  });

  it('falls back to the host of cluster_control_plane for the server name, telemetry to cluster_server_name', () => {
    const conf = {
      cluster_server_name: null,
      cluster_telemetry_server_name: null,
      cluster_control_plane: [{ host: 'cp.internal', port: 8005 }],
      cluster_telemetry_endpoint: { host: 'tm.internal', port: 8006 },
    } as unknown as Conf;
    expect(expectedServerName(conf)).toBe('cp.internal');
    expect(expectedServerName(conf, 'telemetry')).toBe('tm.internal');
    const named = { ...conf, cluster_server_name: SERVER_NAME } as Conf;
    expect(expectedServerName(named)).toBe(SERVER_NAME);
    expect(expectedServerName(named, 'telemetry')).toBe(SERVER_NAME);
    expect(
      expectedServerName({ ...named, cluster_telemetry_server_name: 'tm.yourcorp.tld' } as Conf, 'telemetry'),
    ).toBe('tm.yourcorp.tld');
  });
});
