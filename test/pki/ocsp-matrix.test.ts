/**
 * The OCSP matrix of issue 5 with `openssl ocsp` as the responder: good, revoked, unknown, unreachable
 * and no-AIA DP certificates, each under cluster_ocsp on / optional / off, through the real cluster
 * listener and DP client. Plus a response signed by the wrong key, a delegated responder, and the cache.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createOcspChecker } from '../../src/runtime/pki/ocsp-checker.js';
import { children, readRoot, readTlv } from '../../src/runtime/pki/der-reader.js';
import { verifyChain } from '../../src/runtime/pki/chain-verify.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { captureLogger, tempDir, type LogLine } from '../cluster/helpers.js';
import { OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { freePort, startOcspResponder, type OcspResponder } from './helpers/ocsp-responder.js';
import { attempt, pem, startTestCp, type Attempt } from './helpers/pki-cluster.js';

const SERVER_NAME = 'control-plane.kong.yourcorp.tld';
const { dir, cleanup } = tempDir('hg-pki-ocsp-');
let root: OpensslCa;
let other: OpensslCa;
let cpCert: IssuedCert;
const responders: OcspResponder[] = [];
const certs: Record<string, IssuedCert> = {};

beforeAll(async () => {
  root = OpensslCa.root(dir, 'root', 'Hybrid Root CA');
  other = OpensslCa.root(dir, 'other', 'Other Root');
  cpCert = root.issue(dir, 'cp', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME] });
  // The responder's port is chosen first, so the DP certificates can name it in their AIA.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const deadPort = await freePort();
  certs.good = root.issue(dir, 'good', { cn: 'dp-good', eku: ['clientAuth'], ocspUrl: url });
  certs.revoked = root.issue(dir, 'revoked', { cn: 'dp-revoked', eku: ['clientAuth'], ocspUrl: url });
  certs.unknown = root.issue(dir, 'unknown', { cn: 'dp-unknown', eku: ['clientAuth'], ocspUrl: url });
  certs.unreachable = root.issue(dir, 'unreachable', {
    cn: 'dp-unreachable',
    eku: ['clientAuth'],
    ocspUrl: `http://127.0.0.1:${deadPort}/`,
  });
  certs['no-AIA'] = root.issue(dir, 'no-aia', { cn: 'dp-no-aia', eku: ['clientAuth'] });
  root.revoke(certs.revoked.cert);
  // "unknown": the responder's copy of the index leaves that serial out.
  const serial = new X509Certificate(pem(certs.unknown.cert)).serialNumber.toUpperCase();
  const index = join(dir, 'responder-index.txt');
  writeFileSync(
    index,
    readFileSync(root.index, 'utf8')
      .split('\n')
      .filter((l) => !l.includes(`\t${serial}\t`))
      .join('\n'),
  );
  responders.push(await startOcspResponderOn(port, index));
});
afterAll(async () => {
  for (const r of responders.splice(0)) await r.stop();
  cleanup();
});

async function startOcspResponderOn(port: number, index: string): Promise<OcspResponder> {
  return startOcspResponder({
    index,
    caCert: root.cert,
    signerCert: root.cert,
    signerKey: root.key,
    nextUpdateMinutes: 5,
    port,
  });
}

async function run(
  mode: 'on' | 'optional' | 'off',
  name: string,
): Promise<{ result: Attempt; ocspLog: LogLine[] }> {
  const { logger, lines } = captureLogger('ocsp');
  const cp = await startTestCp(
    createPkiTlsPolicy({
      certPem: pem(cpCert.chain),
      keyPem: pem(cpCert.key),
      caPem: pem(root.cert),
      revocation: mode === 'off' ? null : createOcspChecker({ mode, logger, timeoutMs: 1000 }),
    }),
  );
  try {
    const dp = certs[name]!;
    const dpTls = createPkiTlsPolicy({
      certPem: pem(dp.chain),
      keyPem: pem(dp.key),
      caPem: pem(root.cert),
      serverName: SERVER_NAME,
    });
    return { result: await attempt(cp, dpTls, { refusedBy: 'cp' }), ocspLog: lines };
  } finally {
    await cp.close();
  }
}

/** Flips the last byte of the BasicOCSPResponse signature (the embedded certs after it are unused). */
function flipSignatureByte(der: Buffer): Buffer {
  const c = Buffer.from(der);
  const top = children(readRoot(c, 'r'), 'r');
  const octet = children(children(top[1]!, 'rb')[0]!, 'rb')[1]!;
  const basic = children(readTlv(c, octet.contentStart, 'basic'), 'basic');
  const sig = basic[2]!;
  c[sig.end - 1] = c[sig.end - 1]! ^ 0x01;
  return c;
}

const OK = { ok: true };
const refused = (re: RegExp) => ({ ok: false, reason: expect.stringMatching(re) });
const REVOKED = refused(/data plane certificate CN=dp-revoked is revoked \(since /);
const UNKNOWN = refused(/OCSP response validation failed: .*status unknown/);
const UNREACHABLE_ON = refused(/OCSP check could not be done: .*\(cluster_ocsp = on\)/);
const NO_AIA_ON = refused(/OCSP check could not be done: the certificate names no OCSP responder/);

describe('OCSP (cluster_ocsp) against openssl ocsp', () => {
  it.each([
    ['good', 'on', OK],
    ['good', 'optional', OK],
    ['good', 'off', OK],
    ['revoked', 'on', REVOKED],
    ['revoked', 'optional', REVOKED],
    ['revoked', 'off', OK],
    ['unknown', 'on', UNKNOWN],
    ['unknown', 'optional', UNKNOWN],
    ['unknown', 'off', OK],
    ['unreachable', 'on', UNREACHABLE_ON],
    ['unreachable', 'optional', OK],
    ['unreachable', 'off', OK],
    ['no-AIA', 'on', NO_AIA_ON],
    ['no-AIA', 'optional', OK],
    ['no-AIA', 'off', OK],
  ] as const)('%s certificate under cluster_ocsp = %s', async (name, mode, expected) => {
    const { result, ocspLog } = await run(mode, name);
    expect(result).toEqual(expected);
    const warned = ocspLog.some((l) => l.level === 40 && /could not be done, allowing it/.test(l.msg));
    expect(warned).toBe(mode === 'optional' && (name === 'unreachable' || name === 'no-AIA'));
  });

  it('refuses a response signed by a key other than the issuer, even when optional', async () => {
    const port = await freePort();
    const dp = root.issue(dir, 'forged', {
      cn: 'dp-forged',
      eku: ['clientAuth'],
      ocspUrl: `http://127.0.0.1:${port}/`,
    });
    const forger = await startOcspResponder({
      index: root.index,
      caCert: root.cert,
      signerCert: other.cert,
      signerKey: other.key,
      port,
    });
    responders.push(forger);
    const { logger } = captureLogger('ocsp');
    const check = createOcspChecker({ mode: 'optional', logger, timeoutMs: 1000 });
    const path = verifyChain([new X509Certificate(pem(dp.cert))], {
      roots: [new X509Certificate(pem(root.cert))],
      purpose: 'clientAuth',
      peer: 'data plane',
    });
    if (!path.ok) throw new Error(path.reason);
    expect(await check(path.path)).toEqual(
      refused(
        /OCSP response validation failed: OCSP response invalid: (no certificate matches the responder ID|the responder certificate was not issued)/,
      ),
    );
  });

  it('accepts a delegated responder certificate with OCSP Signing, and caches until nextUpdate', async () => {
    const port = await freePort();
    const dp = root.issue(dir, 'delegated', {
      cn: 'dp-delegated',
      eku: ['clientAuth'],
      ocspUrl: `http://127.0.0.1:${port}/`,
    });
    const signer = root.issue(dir, 'ocsp-signer', {
      cn: 'ocsp signer',
      eku: null,
      extraExt: ['extendedKeyUsage=OCSPSigning'],
    });
    const responder = await startOcspResponder({
      index: root.index,
      caCert: root.cert,
      signerCert: signer.cert,
      signerKey: signer.key,
      nextUpdateMinutes: 5,
      port,
    });
    responders.push(responder);
    const { logger } = captureLogger('ocsp');
    let asked = 0;
    const check = createOcspChecker({
      mode: 'on',
      logger,
      timeoutMs: 1000,
      transport: async (url, body, timeoutMs) => {
        asked++;
        const { postOcspRequest } = await import('../../src/runtime/pki/ocsp-checker.js');
        return postOcspRequest(url, body, timeoutMs);
      },
    });
    const path = verifyChain([new X509Certificate(pem(dp.cert))], {
      roots: [new X509Certificate(pem(root.cert))],
      purpose: 'clientAuth',
      peer: 'data plane',
    });
    if (!path.ok) throw new Error(path.reason);
    expect(await check(path.path)).toMatchObject({ ok: true });
    await responder.stop();
    // The responder is gone: the cached answer (nextUpdate in 5 minutes) still decides.
    expect(await check(path.path)).toMatchObject({ ok: true });
    expect(asked).toBe(1);
  });

  it('refuses tampered, truncated and garbage responses as invalid (never as unavailable)', async () => {
    const path = verifyChain([new X509Certificate(pem(certs.good!.cert))], {
      roots: [new X509Certificate(pem(root.cert))],
      purpose: 'clientAuth',
      peer: 'data plane',
    });
    if (!path.ok) throw new Error(path.reason);
    const { postOcspRequest } = await import('../../src/runtime/pki/ocsp-checker.js');
    const mutations: [string, (b: Buffer) => Buffer][] = [
      ['signature byte flipped', flipSignatureByte],
      ['truncated', (b) => b.subarray(0, b.length - 7)],
      ['garbage', () => Buffer.from('not an ocsp response at all')],
      [
        'tbs byte flipped',
        (b) => {
          const c = Buffer.from(b);
          c[40] = c[40]! ^ 0x01;
          return c;
        },
      ],
    ];
    for (const [what, mutate] of mutations) {
      const { logger } = captureLogger('ocsp');
      const check = createOcspChecker({
        mode: 'optional',
        logger,
        timeoutMs: 1000,
        transport: async (url, body, t) => {
          const res = await postOcspRequest(url, body, t);
          return { status: res.status, body: mutate(res.body) };
        },
      });
      const v = await check(path.path);
      expect({ what, v }).toEqual({ what, v: refused(/^OCSP response validation failed: /) });
    }
  });
});
