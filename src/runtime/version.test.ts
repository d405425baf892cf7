import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { HYBRIDGATE_VERSION } from './version.js';

describe('HYBRIDGATE_VERSION', () => {
  it('equals the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(HYBRIDGATE_VERSION).toBe(pkg.version);
  });
});
