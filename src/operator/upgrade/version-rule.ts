import semver from 'semver';

/** The verdict of Kong's version rule on one data plane / control plane pair. */
export type VersionRuleResult =
  | { ok: true }
  | { ok: false; reason: 'InvalidVersion' | 'MajorVersionMismatch' | 'MinorVersionTooNew'; message: string };

const RULE = "Kong's version compatibility rule";

/**
 * Pure: whether a data plane at `dpVersion` may join a control plane at `cpVersion`. Kong's CP refuses
 * a DP with another major or a newer minor (`kong_version_incompatible`); patch levels never matter.
 * `where` names the field in the message (e.g. `spec.version`), so the refusal says what and where.
 * The CRDs hold the same rule in CEL for a HybridCluster's groups; a standalone DataPlane's
 * ControlPlane lives in another object, so its controller calls this instead.
 */
export function checkDataPlaneVersion(
  dpVersion: string,
  cpVersion: string,
  where = 'spec.version',
): VersionRuleResult {
  const dp = semver.parse(dpVersion);
  const cp = semver.parse(cpVersion);
  if (!dp)
    return {
      ok: false,
      reason: 'InvalidVersion',
      message: `${where} ${JSON.stringify(dpVersion)} is not a semantic version (expected major.minor.patch, e.g. 0.1.0)`,
    };
  if (!cp)
    return {
      ok: false,
      reason: 'InvalidVersion',
      message: `the control plane's version ${JSON.stringify(cpVersion)} is not a semantic version (expected major.minor.patch, e.g. 0.1.0)`,
    };
  if (dp.major !== cp.major)
    return {
      ok: false,
      reason: 'MajorVersionMismatch',
      message: `${where} ${dpVersion} has another major version than the control plane's ${cpVersion}: a data plane must run the major version of its control plane (${RULE})`,
    };
  if (dp.minor > cp.minor)
    return {
      ok: false,
      reason: 'MinorVersionTooNew',
      message: `${where} ${dpVersion} is newer than the control plane's ${cpVersion}: a data plane may not run a newer major.minor than its control plane (${RULE})`,
    };
  return { ok: true };
}
