import { describe, expect, it } from '@jest/globals';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import { secretText, type KubeSecret } from '../certificates/secrets.js';
import { CONTROL_PLANE_LABEL } from '../resources/labels.js';
import { newAdminToken, planAdminToken, tokenOf } from './admin-token-secret.js';

const cp = {
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'ControlPlane',
  metadata: { name: 'cp', namespace: 'gw', uid: 'u-1' },
  spec: {},
} as unknown as ControlPlane;

describe('planAdminToken', () => {
  it('makes a 32-byte base64url token in <cp>-admin-token, owned by and labelled for the ControlPlane', () => {
    const { apply, events } = planAdminToken(cp, undefined);
    expect(apply).toHaveLength(1);
    const s = apply[0]!;
    expect(s.metadata).toMatchObject({ name: 'cp-admin-token', namespace: 'gw' });
    expect(s.metadata!.labels![CONTROL_PLANE_LABEL]).toBe('cp');
    expect(s.metadata!.ownerReferences).toEqual([expect.objectContaining({ uid: 'u-1', controller: true })]);
    const token = secretText(s)!['token']!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(events).toEqual([]);
  });

  it('never touches a Secret that holds a usable token', () => {
    const existing = planAdminToken(cp, undefined).apply[0] as KubeSecret;
    expect(planAdminToken(cp, existing)).toEqual({ apply: [], events: [] });
    expect(tokenOf(existing)).toBe(secretText(existing)!['token']);
  });

  it('replaces an unusable one, with a Warning', () => {
    const short = { data: { token: Buffer.from('short').toString('base64') } } as KubeSecret;
    const r = planAdminToken(cp, short, () => 'x'.repeat(43));
    expect(secretText(r.apply[0])!['token']).toBe('x'.repeat(43));
    expect(r.events[0]).toMatchObject({ type: 'Warning', reason: 'AdminTokenReplaced' });
    expect(JSON.stringify(r.events)).not.toContain('x'.repeat(43));
    expect(tokenOf({ data: {} } as KubeSecret)).toBeUndefined();
  });

  it('two tokens differ', () => {
    expect(newAdminToken()).not.toBe(newAdminToken());
  });
});
