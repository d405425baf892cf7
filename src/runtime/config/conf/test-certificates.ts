import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidValue } from './value-types.js';

/**
 * Test support for the conf tests (not used at run time): real EC key pairs and self-signed certificates made by the
 * openssl CLI in a temp dir, so the conf tests exercise files, inline PEM and base64 exactly as a user
 * would give them.
 */

/** A generated certificate and key, as files and as text. */
export interface TestPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** A temp dir holding `count` independent pairs; `cleanup()` removes it. */
export function makeTestCertificates(count: number): { dir: string; pairs: TestPair[]; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hg-conf-'));
  const pairs: TestPair[] = [];
  for (let i = 0; i < count; i++) {
    const certPath = join(dir, `cert${i}.crt`);
    const keyPath = join(dir, `cert${i}.key`);
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-subj', '/CN=kong_clustering', '-days', '2',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    pairs.push({ certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') });
  }
  return { dir, pairs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The reason of the InvalidValue `run` throws; fails the test if it throws nothing or something else. */
export function invalidReason(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidValue) return err.reason;
    throw err;
  }
  throw new Error('expected an InvalidValue');
}
