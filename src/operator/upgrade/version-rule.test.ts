import { describe, it, expect } from '@jest/globals';
import { checkDataPlaneVersion } from './version-rule.js';

describe('checkDataPlaneVersion (Kong: same major, DP minor not newer, patch ignored)', () => {
  it.each([
    ['3.4.2', '3.4.2'],
    ['3.4.9', '3.4.0'], // a newer patch is fine
    ['3.3.0', '3.4.2'], // an older minor is fine (Kong logs a note)
    ['3.4.0-rc.1', '3.4.0'],
    ['0.1.0', '0.2.0'],
  ])('accepts DP %s with CP %s', (dp, cp) => {
    expect(checkDataPlaneVersion(dp, cp)).toEqual({ ok: true });
  });

  it('refuses a newer minor and explains the rule, naming the field', () => {
    expect(checkDataPlaneVersion('3.5.0', '3.4.2', 'dataPlanes[edge].version')).toEqual({
      ok: false,
      reason: 'MinorVersionTooNew',
      message:
        "dataPlanes[edge].version 3.5.0 is newer than the control plane's 3.4.2: a data plane may not run a newer major.minor than its control plane (Kong's version compatibility rule)",
    });
  });

  it.each([
    ['4.0.0', '3.9.0'],
    ['2.8.0', '3.0.0'],
  ])('refuses DP %s with CP %s (another major, either way)', (dp, cp) => {
    const r = checkDataPlaneVersion(dp, cp);
    expect(r).toMatchObject({ ok: false, reason: 'MajorVersionMismatch' });
    expect(r.ok || r.message).toContain(
      `spec.version ${dp} has another major version than the control plane's ${cp}`,
    );
  });

  it.each([
    ['3.4', '3.4.0', 'spec.version "3.4" is not a semantic version'],
    ['03.4.0', '3.4.0', 'spec.version "03.4.0" is not a semantic version'],
    ['3.4.0', 'latest', `the control plane's version "latest" is not a semantic version`],
  ])('refuses unparsable versions (DP %s, CP %s) saying which', (dp, cp, msg) => {
    const r = checkDataPlaneVersion(dp, cp);
    expect(r).toMatchObject({ ok: false, reason: 'InvalidVersion' });
    expect(r.ok || r.message).toContain(msg);
  });
});
