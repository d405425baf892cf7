import { describe, expect, it } from '@jest/globals';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import { planAdminCertificates, ROTATE_ADMIN_CA_ANNOTATION } from './admin-certificates.js';
import { firstCertificate, issuedBy, secretText, type KubeSecret } from './secrets.js';

const HOUR = 3_600_000;
const cp = (annotations: Record<string, string> = {}, certificates: Record<string, string> = {}) =>
  ({
    apiVersion: 'hybridgate.dev/v1alpha1',
    kind: 'ControlPlane',
    metadata: { name: 'cp', namespace: 'gw', uid: 'u-1', annotations },
    spec: {
      certificates: {
        mode: 'shared',
        provider: 'cert-manager',
        duration: '2160h',
        renewBefore: '360h',
        ...certificates,
      },
    },
  }) as unknown as ControlPlane;

const byName = (apply: { metadata?: { name?: string } }[]) =>
  new Map(apply.map((s) => [s.metadata!.name!, s as KubeSecret]));

describe('planAdminCertificates', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const first = planAdminCertificates({
    controlPlane: cp(),
    secrets: new Map(),
    now: t0,
    propagationDelayMs: 0,
  });
  const secrets = byName(first.apply);

  it('issues the admin CA (own Secret) and a serving certificate for the Service names, whatever the provider', () => {
    expect([...secrets.keys()].sort()).toEqual(['cp-admin-ca', 'cp-admin-tls']);
    const tls = secretText(secrets.get('cp-admin-tls'))!;
    const cert = firstCertificate(tls['tls.crt'])!;
    expect(cert.subjectAltName!.split(', ').sort()).toEqual(
      ['DNS:cp-admin', 'DNS:cp-admin.gw', 'DNS:cp-admin.gw.svc', 'DNS:cp-admin.gw.svc.cluster.local'].sort(),
    );
    expect(cert.checkHost('cp-admin.gw.svc')).toBe('cp-admin.gw.svc');
    const ca = firstCertificate(secretText(secrets.get('cp-admin-ca'))!['tls.crt'])!;
    expect(ca.subject).toContain('CN=cp admin API CA');
    expect(issuedBy(cert, ca)).toBe(true);
    expect(tls['ca.crt']).toContain(ca.toString().trim());
    // The CA key stays in the CA Secret; the mounted Secret has only the leaf's key.
    expect(tls['tls.key']).not.toBe(secretText(secrets.get('cp-admin-ca'))!['tls.key']);
    expect(first.events.map((e) => e.reason)).toEqual(['CAIssued', 'CertificateIssued']);
  });

  it('changes nothing while valid, renews renewBefore ahead of expiry from the same CA', () => {
    const again = planAdminCertificates({
      controlPlane: cp(),
      secrets,
      now: t0 + HOUR,
      propagationDelayMs: 0,
    });
    expect(again.apply).toEqual([]);
    const due = t0 + (2160 - 360) * HOUR + 1;
    const renewed = planAdminCertificates({ controlPlane: cp(), secrets, now: due, propagationDelayMs: 0 });
    expect(renewed.apply.map((s) => s.metadata!.name)).toEqual(['cp-admin-tls']);
    expect(renewed.events.map((e) => e.reason)).toEqual(['CertificateRenewed']);
  });

  it('a rotate-admin-ca request starts a rotation that publishes old+new in ca.crt first', () => {
    const r = planAdminCertificates({
      controlPlane: cp({ [ROTATE_ADMIN_CA_ANNOTATION]: 'now' }),
      secrets,
      now: t0 + HOUR,
      propagationDelayMs: 0,
    });
    expect(r.events[0]!.reason).toBe('CARotationStarted');
    const tls = secretText(byName(r.apply).get('cp-admin-tls'))!;
    expect(tls['ca.crt']!.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('an invalid renewBefore is reported, nothing issued', () => {
    const r = planAdminCertificates({
      controlPlane: cp({}, { renewBefore: '2160h' }),
      secrets: new Map(),
      now: t0,
      propagationDelayMs: 0,
    });
    expect(r).toMatchObject({ apply: [], ready: false, reason: 'CertificatesInvalid' });
  });
});
