import type { SyncStatus } from './constants.js';
import type { PluginInfo } from './messages.js';

/** major.minor.patch of a version string (anything after the patch number, e.g. `-rc1`, is ignored). */
export interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `x.y.z...`; null when it does not start with three numbers (Kong's `^(%d+)%.(%d+)%.%d+`). */
export function parseVersion(v: string | null | undefined): ParsedVersion | null {
  const m = typeof v === 'string' ? /^(\d+)\.(\d+)\.(\d+)/.exec(v) : null;
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** A compatibility verdict: `normal`, or an incompatible status with the reason to log and show. */
export type CompatResult =
  | { status: 'normal'; notes: string[] }
  | { status: Exclude<SyncStatus, 'normal' | 'unknown'>; reason: string };

/**
 * Seed 002's version rule, checked at connect: same major; DP minor not newer than the CP's; patch
 * ignored. An older DP minor is accepted with a note (Kong logs it at info).
 */
export function checkVersionCompat(cpVersion: string, dpVersion: string): CompatResult {
  const cp = parseVersion(cpVersion);
  const dp = parseVersion(dpVersion);
  if (!cp)
    return {
      status: 'kong_version_incompatible',
      reason: `unable to parse control plane version "${cpVersion}"`,
    };
  if (!dp)
    return {
      status: 'kong_version_incompatible',
      reason: `unable to parse data plane version "${dpVersion}"`,
    };
  if (cp.major !== dp.major) {
    return {
      status: 'kong_version_incompatible',
      reason: `data plane major version ${dp.major} is different to control plane major version ${cp.major}`,
    };
  }
  if (dp.minor > cp.minor) {
    return {
      status: 'kong_version_incompatible',
      reason: `data plane minor version ${dp.minor} is newer than control plane minor version ${cp.minor}`,
    };
  }
  const notes =
    dp.minor < cp.minor
      ? [`data plane minor version ${dp.minor} is different to control plane minor version ${cp.minor}`]
      : [];
  return { status: 'normal', notes };
}

/**
 * Seed 002's plugin rule, checked before every push, for the plugins configured in that config only:
 * each must be loaded on the DP, with the same major and a DP minor not newer than the CP's.
 * `cpPlugins` maps plugin name → the CP's version of it.
 */
export function checkPluginCompat(
  configured: Iterable<string>,
  cpPlugins: ReadonlyMap<string, string | null>,
  dpPlugins: readonly PluginInfo[],
): CompatResult {
  const dpByName = new Map(dpPlugins.map((p) => [p.name, p.version]));
  const names = [...configured].sort();
  for (const name of names) {
    const cpVer = cpPlugins.get(name) ?? null;
    if (!dpByName.has(name)) {
      return {
        status: 'plugin_set_incompatible',
        reason: `configured ${name} plugin ${cpVer ?? ''} is missing from data plane`.replace('  ', ' '),
      };
    }
  }
  for (const name of names) {
    const cp = parseVersion(cpPlugins.get(name));
    const dp = parseVersion(dpByName.get(name));
    // Kong only logs an unversioned plugin; there is nothing to compare.
    if (!cp || !dp) continue;
    if (cp.major !== dp.major || dp.minor > cp.minor) {
      return {
        status: 'plugin_version_incompatible',
        reason: `configured data plane ${name} plugin version ${dpByName.get(name)} is different to control plane plugin version ${cpPlugins.get(name)}`,
      };
    }
  }
  return { status: 'normal', notes: [] };
}
