import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HYBRIDGATE_VERSION } from '../runtime/version.js';

// Spawns the built CLI as a user runs it (node bin/hybridgate.js), so it needs dist/: `make test` runs
// `make build` before jest, which guarantees it. Running this file alone needs a `make build` first
// (HG_TEST_CLI may point at a bin/hybridgate.js of another build tree).

const cli = process.env.HG_TEST_CLI ?? fileURLToPath(new URL('../../bin/hybridgate.js', import.meta.url));
const builtMain = join(dirname(cli), '..', 'dist', 'cli', 'main.js');

function runCli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // Only PATH from the outside: HYBRIDGATE_/KONG_ variables of the test runner must not leak in.
    const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the built CLI (bin/hybridgate.js)', () => {
  it('is built (make build)', () => {
    expect({ builtMain, exists: existsSync(builtMain) }).toEqual({ builtMain, exists: true });
  });

  it('prints its version and exits 0', async () => {
    expect(await runCli(['version'])).toEqual({
      code: 0,
      stdout: `Hybridgate ${HYBRIDGATE_VERSION}\n`,
      stderr: '',
    });
  });

  it('exits 0 after --dump-config, with the conf as JSON', async () => {
    const r = await runCli(['start', '--dump-config'], {
      HYBRIDGATE_ROLE: 'traditional',
      KONG_PG_PASSWORD: 'pw',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ role: 'traditional', pg_password: '******' });
  });

  it('exits 1 with Error: lines and no stack on a bad conf', async () => {
    const r = await runCli(['start'], { HYBRIDGATE_ROLE: 'data_plane' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.every((l) => l.startsWith('Error: '))).toBe(true);
    expect(lines).toContain(
      'Error: database: "lmdb" is not allowed when role = data_plane; data planes keep no database (hint: set database = off)',
    );
  });
});
