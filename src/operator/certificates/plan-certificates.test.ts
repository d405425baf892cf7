import { describe, it, expect } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { planCertificates, type CertificateWorld } from './plan-certificates.js';
import { CA_ANNOTATIONS } from './pki-plan.js';
import { secretText, type KubeSecret } from './secrets.js';
import { opensslVerify, storeApplied, testControlPlane, testDataPlane } from './test-world.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

function world(over: Partial<CertificateWorld> = {}): CertificateWorld {
  return {
    controlPlane: testControlPlane(),
    dataPlanes: [testDataPlane('edge-a'), testDataPlane('edge-b')],
    secrets: new Map(),
    now: T0,
    propagationDelayMs: 2 * 60_000,
    ...over,
  };
}

const text = (s: Map<string, KubeSecret | undefined>, name: string) => secretText(s.get(name))!;
const at = (ms: number) => Math.floor(ms / 1000);

/** Every DP certificate verifies against the CP's bundle and the CP certificate against every DP's: the fleet stays connected. */
function expectFleetConnected(secrets: Map<string, KubeSecret | undefined>, now: number) {
  const cp = text(secrets, 'edge-cp-cert');
  for (const dp of ['edge-a-dp-cert', 'edge-b-dp-cert']) {
    const d = text(secrets, dp);
    expect(opensslVerify(cp['ca.crt']!, d['tls.crt']!, 'sslclient', at(now))).toContain('OK');
    expect(opensslVerify(d['ca.crt']!, cp['tls.crt']!, 'sslserver', at(now))).toContain('OK');
  }
}

describe('pki mode, provider operator', () => {
  it('issues a CA, a server certificate with the Service names and client certificates, verified by openssl; a second pass writes nothing', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    const first = planCertificates(world({ secrets }));
    expect(first.apply.map((o) => o.metadata!.name)).toEqual([
      'edge-ca',
      'edge-cp-cert',
      'edge-a-dp-cert',
      'edge-b-dp-cert',
    ]);
    expect(first.events.map((e) => e.reason)).toEqual([
      'CAIssued',
      'CertificateIssued',
      'CertificateIssued',
      'CertificateIssued',
    ]);
    storeApplied(secrets, first.apply);
    expectFleetConnected(secrets, T0);
    const cp = new X509Certificate(text(secrets, 'edge-cp-cert')['tls.crt']!);
    expect(cp.subjectAltName).toBe(
      'DNS:edge-cluster, DNS:edge-cluster.gw, DNS:edge-cluster.gw.svc, DNS:edge-cluster.gw.svc.cluster.local, DNS:cp.example.com',
    );
    expect(cp.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new X509Certificate(text(secrets, 'edge-a-dp-cert')['tls.crt']!).keyUsage).toEqual([
      '1.3.6.1.5.5.7.3.2',
    ]);
    // The client certificate is not a server certificate.
    expect(() =>
      opensslVerify(
        text(secrets, 'edge-cp-cert')['ca.crt']!,
        text(secrets, 'edge-a-dp-cert')['tls.crt']!,
        'sslserver',
        at(T0),
      ),
    ).toThrow();
    // DP Secrets hold no CA key.
    expect(Object.keys(text(secrets, 'edge-a-dp-cert')).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const again = planCertificates(world({ secrets, now: T0 + HOUR }));
    expect(again.apply).toEqual([]);
    expect(again.nextCheckAt).toBe(new Date(cp.validTo).getTime() - 360 * HOUR);
    expect(again.status).toMatchObject({ secretName: 'edge-cp-cert', caSecretName: 'edge-ca' });
  });

  it('renews each leaf renewBefore ahead of expiry, keeping the CA', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    storeApplied(secrets, planCertificates(world({ secrets })).apply);
    const ca = text(secrets, 'edge-ca')['tls.crt'];
    const due = planCertificates(world({ secrets, now: T0 })).nextCheckAt!;
    expect(planCertificates(world({ secrets, now: due - 1000 })).apply).toEqual([]);
    const renewed = planCertificates(world({ secrets, now: due + 1000 }));
    expect(renewed.apply.map((o) => o.metadata!.name)).toEqual([
      'edge-cp-cert',
      'edge-a-dp-cert',
      'edge-b-dp-cert',
    ]);
    expect(renewed.events.every((e) => e.reason === 'CertificateRenewed')).toBe(true);
    storeApplied(secrets, renewed.apply);
    expect(text(secrets, 'edge-ca')['tls.crt']).toBe(ca);
    expectFleetConnected(secrets, due + 1000);
  });

  it('rotates the CA through an overlapping bundle; every step keeps the fleet connected', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    storeApplied(secrets, planCertificates(world({ secrets })).apply);
    const oldCa = text(secrets, 'edge-ca')['tls.crt']!;
    const cp = testControlPlane({}, { 'hybridgate.dev/rotate-ca': 'r1' });
    let now = T0 + HOUR;
    const step = () => {
      const p = planCertificates(world({ controlPlane: cp, secrets, now }));
      storeApplied(secrets, p.apply);
      expectFleetConnected(secrets, now);
      return p;
    };
    const phase = () => secrets.get('edge-ca')!.metadata!.annotations![CA_ANNOTATIONS.phase];

    const started = step();
    expect(started.events.map((e) => e.reason)).toEqual(['CARotationStarted']);
    expect(phase()).toBe('publishing');
    // The bundle (old + new) went to every leaf Secret in the same pass; leaves are unchanged.
    expect(started.apply.map((o) => o.metadata!.name)).toEqual([
      'edge-ca',
      'edge-cp-cert',
      'edge-a-dp-cert',
      'edge-b-dp-cert',
    ]);
    expect(text(secrets, 'edge-a-dp-cert')['ca.crt']!.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // Before the propagation delay nothing moves.
    now += 60_000;
    expect(step().apply).toEqual([]);
    now += 61_000;
    const reissue = step();
    expect(reissue.events[0]!.reason).toBe('CARotationReissuing');
    expect(phase()).toBe('reissuing');
    expect(reissue.events.filter((e) => e.reason === 'CertificateRenewed')).toHaveLength(3);
    const newCa = text(secrets, 'edge-ca')['tls.crt']!;
    expect(newCa).not.toBe(oldCa);
    expect(opensslVerify(newCa, text(secrets, 'edge-b-dp-cert')['tls.crt']!, 'sslclient', at(now))).toContain(
      'OK',
    );
    now += 121_000;
    const done = step();
    expect(done.events.map((e) => e.reason)).toEqual(['CARotationCompleted']);
    expect(phase()).toBe('stable');
    for (const s of ['edge-cp-cert', 'edge-a-dp-cert', 'edge-b-dp-cert'])
      expect(text(secrets, s)['ca.crt']!.trim()).toBe(newCa.trim());
    // The old CA no longer verifies anything; the same request value does not rotate again.
    expect(() =>
      opensslVerify(oldCa, text(secrets, 'edge-cp-cert')['tls.crt']!, 'sslserver', at(now)),
    ).toThrow();
    now += HOUR;
    expect(step().apply).toEqual([]);
  });

  it('issues a certificate for a DataPlane that appears later, and re-issues a deleted Secret', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    storeApplied(secrets, planCertificates(world({ secrets })).apply);
    const more = planCertificates(
      world({
        secrets,
        dataPlanes: [testDataPlane('edge-a'), testDataPlane('edge-b'), testDataPlane('edge-c')],
      }),
    );
    expect(more.apply.map((o) => o.metadata!.name)).toEqual(['edge-c-dp-cert']);
    secrets.delete('edge-cp-cert');
    expect(planCertificates(world({ secrets })).apply.map((o) => o.metadata!.name)).toEqual(['edge-cp-cert']);
  });
});

describe('shared mode and other providers', () => {
  it('shared/operator: one kong_clustering pair, renewed when due', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    const cp = testControlPlane({ mode: 'shared' });
    const p = planCertificates(world({ controlPlane: cp, secrets }));
    expect(p.apply.map((o) => o.metadata!.name)).toEqual(['edge-cluster-cert']);
    storeApplied(secrets, p.apply);
    const pem = text(secrets, 'edge-cluster-cert')['tls.crt']!;
    expect(new X509Certificate(pem).subject).toBe('CN=kong_clustering');
    expect(opensslVerify(pem, pem, 'sslserver', at(T0))).toContain('OK');
    expect(planCertificates(world({ controlPlane: cp, secrets })).apply).toEqual([]);
    const renewed = planCertificates(world({ controlPlane: cp, secrets, now: p.nextCheckAt! + 1 }));
    expect(renewed.events[0]!.reason).toBe('CertificateRenewed');
  });

  it('secret provider: reports what is wrong with the user Secret', () => {
    const cp = testControlPlane({ mode: 'pki', provider: 'secret', caSecretName: 'my-ca' });
    const missing = planCertificates(world({ controlPlane: cp }));
    expect(missing).toMatchObject({
      ready: false,
      reason: 'CertificatesInvalid',
      message: 'Secret my-ca does not exist',
    });
    // A leaf (not a CA) with a key of another certificate.
    const secrets = new Map<string, KubeSecret | undefined>();
    storeApplied(secrets, planCertificates(world({ secrets })).apply);
    const a = text(secrets, 'edge-a-dp-cert');
    const b = text(secrets, 'edge-b-dp-cert');
    const bad: KubeSecret = {
      kind: 'Secret',
      data: {
        'tls.crt': Buffer.from(a['tls.crt']!).toString('base64'),
        'tls.key': Buffer.from(b['tls.key']!).toString('base64'),
      },
    };
    const plan = planCertificates(world({ controlPlane: cp, secrets: new Map([['my-ca', bad]]) }));
    expect(plan.ready).toBe(false);
    expect(plan.message).toContain('tls.key does not match the certificate in tls.crt');
    expect(plan.message).toContain('is not a CA certificate');
  });

  it('secret provider in pki mode issues leaves from the user CA', () => {
    const secrets = new Map<string, KubeSecret | undefined>();
    storeApplied(secrets, planCertificates(world({ secrets })).apply);
    const userCa = secrets.get('edge-ca')!;
    const cp = testControlPlane({ provider: 'secret', caSecretName: 'my-ca' });
    const s2 = new Map<string, KubeSecret | undefined>([['my-ca', userCa]]);
    const p = planCertificates(world({ controlPlane: cp, secrets: s2 }));
    expect(p.ready).toBe(true);
    expect(p.apply.map((o) => o.metadata!.name)).toEqual([
      'edge-cp-cert',
      'edge-a-dp-cert',
      'edge-b-dp-cert',
    ]);
    storeApplied(s2, p.apply);
    expectFleetConnected(s2, T0);
  });

  it('cert-manager: Certificates against the issuer; pending until the Secrets hold usable pairs', () => {
    const cp = testControlPlane({
      provider: 'cert-manager',
      issuerRef: { name: 'ca-issuer', kind: 'Issuer', group: 'cert-manager.io' },
    });
    const p = planCertificates(world({ controlPlane: cp }));
    expect(p.apply.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual([
      'Certificate/edge-cp-cert',
      'Certificate/edge-a-dp-cert',
      'Certificate/edge-b-dp-cert',
    ]);
    expect(p.apply[0]!['spec']).toMatchObject({
      secretName: 'edge-cp-cert',
      usages: ['digital signature', 'key encipherment', 'server auth'],
      issuerRef: { name: 'ca-issuer', kind: 'Issuer' },
    });
    expect(p).toMatchObject({ ready: false, reason: 'CertificatesPending' });
  });

  it('refuses a renewBefore not shorter than duration', () => {
    const p = planCertificates(
      world({ controlPlane: testControlPlane({ duration: '1h', renewBefore: '2h' }) }),
    );
    expect(p).toMatchObject({
      ready: false,
      message: 'spec.certificates.renewBefore must be shorter than duration',
    });
  });
});
