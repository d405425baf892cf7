import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Runs in a child process: opens the environment and reads every entry. A corrupt LMDB file can crash
// the native binding (SIGSEGV) instead of throwing, and the DP must survive a corrupt cache.
const PROBE = `
const { open } = require(process.argv[1]);
const db = open({ path: process.argv[2], noSubdir: false, encoding: 'binary', readOnly: true });
let n = 0;
for (const { value } of db.getRange({})) n += value ? value.length : 0;
db.close().then(() => process.stdout.write('ok ' + n));
`;

/** The outcome of probing an environment: usable, absent, or broken with a reason. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks in a throwaway process that the LMDB environment at `path` opens and reads. An absent
 * environment is fine (it will be created). Takes one process spawn, once per DP start.
 */
export function probeLmdbEnvironment(path: string, timeoutMs = 10_000): Promise<ProbeResult> {
  if (!existsSync(join(path, 'data.mdb'))) return Promise.resolve({ ok: true });
  const lmdbEntry = createRequire(import.meta.url).resolve('lmdb');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', PROBE, lmdbEntry, path],
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? '' } },
      (err, stdout, stderr) => {
        if (!err && stdout.startsWith('ok')) return resolve({ ok: true });
        const why = err?.signal
          ? `probe died with ${err.signal}`
          : (stderr.trim().split('\n').pop() ?? 'probe failed');
        resolve({ ok: false, reason: why });
      },
    );
  });
}
