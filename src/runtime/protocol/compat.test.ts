import { describe, it, expect } from '@jest/globals';
import { checkPluginCompat, checkVersionCompat, parseVersion } from './compat.js';

describe('version compatibility (seed 002 examples for a 2.5.2 CP)', () => {
  it.each([
    ['2.5.0', 'normal'],
    ['2.5.1', 'normal'],
    ['2.5.2', 'normal'],
    ['2.3.8', 'normal'],
    ['2.2.0', 'normal'],
    ['2.5.3', 'normal'],
    ['2.5.3-rc.1', 'normal'],
    ['1.0.0', 'kong_version_incompatible'],
    ['3.5.2', 'kong_version_incompatible'],
    ['2.6.0', 'kong_version_incompatible'],
    ['2.6', 'kong_version_incompatible'],
    ['garbage', 'kong_version_incompatible'],
  ])('DP %s → %s', (dp, status) => {
    expect(checkVersionCompat('2.5.2', dp).status).toBe(status);
  });

  it('notes an older minor and explains a newer one', () => {
    expect(checkVersionCompat('2.5.2', '2.3.0')).toEqual({
      status: 'normal',
      notes: [expect.stringMatching(/minor version 3 is different to control plane minor version 5/)],
    });
    expect(checkVersionCompat('2.5.2', '2.6.0')).toMatchObject({
      reason: expect.stringMatching(/minor version 6 is newer/),
    });
    expect(parseVersion('10.20.30')).toEqual({ major: 10, minor: 20, patch: 30 });
  });
});

describe('plugin compatibility (seed 002: CP plugin1 1.1.1 configured, plugin2 2.1.0 installed)', () => {
  const cp = new Map([
    ['plugin1', '1.1.1'],
    ['plugin2', '2.1.0'],
  ]);
  const configured = ['plugin1'];
  const dp = (...p: [string, string][]) => p.map(([name, version]) => ({ name, version }));

  it.each([
    ['plugin1 1.1.2 only', dp(['plugin1', '1.1.2']), 'normal'],
    ['a superset', dp(['plugin1', '1.1.2'], ['plugin2', '2.1.0'], ['plugin3', '9.8.1']), 'normal'],
    [
      'plugin1 1.2.0 (newer minor)',
      dp(['plugin1', '1.2.0'], ['plugin2', '2.1.0']),
      'plugin_version_incompatible',
    ],
    ['plugin1 2.1.1 (other major)', dp(['plugin1', '2.1.1']), 'plugin_version_incompatible'],
    ['plugin1 1.1.1 and plugin3', dp(['plugin1', '1.1.1'], ['plugin3', '9.8.1']), 'normal'],
    ['plugin1 1.0.0 (older minor)', dp(['plugin1', '1.0.0']), 'normal'],
    ['plugin1 missing', dp(['plugin2', '2.1.0']), 'plugin_set_incompatible'],
  ])('DP with %s → %s', (_d, plugins, status) => {
    expect(checkPluginCompat(configured, cp, plugins).status).toBe(status);
  });

  it('only configured plugins matter, and reasons name the plugin', () => {
    expect(checkPluginCompat([], cp, [])).toEqual({ status: 'normal', notes: [] });
    expect(checkPluginCompat(['plugin1'], cp, [])).toEqual({
      status: 'plugin_set_incompatible',
      reason: 'configured plugin1 plugin 1.1.1 is missing from data plane',
    });
  });
});
