/**
 * Certificate reload details (issue 5): a rotation caught half-written keeps the previous material
 * until the files fit together again; after the CP's trust changes, a DP still linked with a
 * certificate the CP no longer accepts is closed once its grace period ends, and cannot come back
 * with it; a DP whose own files rotate reconnects with the new certificate at once.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { copyFileSync } from 'node:fs';
import { createReloadingTlsPolicy } from '../../src/runtime/protocol/reloading-tls-policy.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { captureLogger, tempDir, waitFor } from '../cluster/helpers.js';
import { OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { pem, startTestCp, startTestDp, type TestCp, type TestDp } from './helpers/pki-cluster.js';
import { SecretMount, type SecretFiles } from './helpers/secret-mount.js';

const SERVER_NAME = 'control-plane.kong.yourcorp.tld';
const { dir, cleanup } = tempDir('hg-pki-reload-');
const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  cleanup();
});

const rootA = OpensslCa.root(dir, 'root-a', 'Root A');
const rootB = OpensslCa.root(dir, 'root-b', 'Root B');
const cpA = rootA.issue(dir, 'cp-a', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME] });
const cpB = rootB.issue(dir, 'cp-b', { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME] });
const secret = (root: OpensslCa, c: IssuedCert): SecretFiles => ({
  'tls.crt': c.chain,
  'tls.key': c.key,
  'ca.crt': root.cert,
});

function reloading(mount: SecretMount, serverName?: string) {
  const { logger, lines } = captureLogger('reload');
  const policy = createReloadingTlsPolicy({
    build: () =>
      createPkiTlsPolicy({
        certPem: pem(mount.path('tls.crt')),
        keyPem: pem(mount.path('tls.key')),
        caPem: pem(mount.path('ca.crt')),
        serverName,
      }),
    paths: [mount.path('tls.crt'), mount.path('tls.key'), mount.path('ca.crt')],
    logger,
    pollIntervalMs: 200,
    settleMs: 20,
  });
  return { policy, lines };
}

describe('certificate reload', () => {
  it('keeps the previous material while a rotation is half-written, then takes the new one', async () => {
    const mount = new SecretMount(`${dir}/half`);
    mount.write(secret(rootA, cpA));
    const { policy, lines } = reloading(mount);
    let reloads = 0;
    const stop = policy.onReload!(() => reloads++);
    stops.push(stop);
    // A non-atomic writer: the certificate first, the key a moment later (symlinks point into ..v1).
    copyFileSync(cpB.chain, `${dir}/half/..v1/tls.crt`);
    await waitFor(
      () => lines.some((l) => /cannot be used yet/.test(l.msg)),
      'the half-written rotation to be noticed',
    );
    expect(reloads).toBe(0);
    expect(String(policy.serverOptions().cert)).toBe(pem(cpA.chain));
    copyFileSync(cpB.key, `${dir}/half/..v1/tls.key`);
    copyFileSync(rootB.cert, `${dir}/half/..v1/ca.crt`);
    await waitFor(
      () => reloads > 0 && lines.some((l) => l.msg === 'cluster certificate files reloaded'),
      'the reload',
    );
    expect(String(policy.serverOptions().cert)).toBe(pem(cpB.chain));
  });

  it('notices a rotation that landed between building the policy and the first subscriber', async () => {
    const mount = new SecretMount(`${dir}/early`);
    mount.write(secret(rootA, cpA));
    const { policy } = reloading(mount);
    mount.write(secret(rootB, cpB));
    let reloads = 0;
    stops.push(policy.onReload!(() => reloads++));
    await waitFor(() => reloads === 1, 'the reload of the early rotation');
    expect(String(policy.serverOptions().cert)).toBe(pem(cpB.chain));
  });

  it('closes a DP the reloaded trust refuses after its grace period; a rotated DP reconnects at once', async () => {
    const cpMount = new SecretMount(`${dir}/cp`);
    cpMount.write(secret(rootA, cpA));
    const cp: TestCp = await startTestCp(reloading(cpMount).policy, { revalidateGraceMs: 300 });
    stops.push(() => cp.close());
    // A DP whose certificate stays on root A (inline PEM: nothing to reload) ...
    const staleCert = rootA.issue(dir, 'dp-stale', { cn: 'stale', eku: ['clientAuth'] });
    const stale: TestDp = startTestDp(
      cp.port,
      createPkiTlsPolicy({
        certPem: pem(staleCert.chain),
        keyPem: pem(staleCert.key),
        caPem: pem(rootA.cert) + pem(rootB.cert),
        serverName: SERVER_NAME,
      }),
      { reconnectMs: 50 },
    );
    stops.push(() => stale.stop());
    // ... and one that rotates with the CP (its Secret names both roots during the change).
    const dpMount = new SecretMount(`${dir}/dp`);
    const freshA = rootA.issue(dir, 'dp-fresh-a', { cn: 'fresh', eku: ['clientAuth'] });
    dpMount.write(secret(rootA, freshA));
    const fresh: TestDp = startTestDp(cp.port, reloading(dpMount, SERVER_NAME).policy, { reconnectMs: 50 });
    stops.push(() => fresh.stop());
    await waitFor(
      () =>
        cp.registry.get(stale.id)?.status === 'connected' &&
        cp.registry.get(fresh.id)?.status === 'connected',
      'both DPs',
    );

    cpMount.write(secret(rootB, cpB));
    await waitFor(
      () =>
        cp.lines.some(
          (l) => /no longer accepted after the certificate reload/.test(l.msg) && l.node_id === stale.id,
        ),
      'the CP to flag the stale DP',
    );
    const freshB = rootB.issue(dir, 'dp-fresh-b', { cn: 'fresh', eku: ['clientAuth'] });
    dpMount.write(secret(rootB, freshB));
    await waitFor(
      () => fresh.lines.some((l) => l.msg === 'reconnecting to control plane with the reloaded certificate'),
      'the fresh DP to reconnect',
    );
    await waitFor(
      () =>
        cp.registry.get(fresh.id)?.status === 'connected' &&
        fresh.lines.filter((l) => /connected to control plane/.test(l.msg)).length >= 2,
      'the fresh DP back',
    );
    // The stale one is closed with 4006 after the grace period and refused when it retries.
    await waitFor(
      () =>
        stale.lines.some(
          (l) => l.msg === 'lost connection to control plane, reconnecting' && l.close_code === 4006,
        ),
      'the stale DP to be closed',
    );
    await waitFor(
      () =>
        cp.lines.some((l) => /incorrect client certificate/.test(l.msg) && /Root A/.test(String(l.reason))),
      'its retry to be refused',
    );
    expect(cp.registry.get(stale.id)?.status).toBe('disconnected');
    expect(cp.registry.get(fresh.id)?.status).toBe('connected');
  });
});
