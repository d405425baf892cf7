import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (test/envtest/../..). */
export const REPO_ROOT = resolve(import.meta.dirname ?? '.', '../..');

/** The test binaries the harness runs. */
export const TEST_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'helm',
] as const;

/** Thrown when the test binaries cannot be found or built; says how to get them. */
export class TestBinariesError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`${message} (build them with: hack/install-test-binaries.sh)`, options);
    this.name = 'TestBinariesError';
  }
}

let cached: Promise<string> | undefined;

/**
 * Where the hack/-built binaries are: $HYBRIDGATE_TEST_BIN_DIR, else whatever
 * `hack/install-test-binaries.sh --print-dir` prints (it builds them first when missing, which takes
 * minutes the first time; the script serialises concurrent callers with a lock).
 */
export function testBinDir(): Promise<string> {
  cached ??= locate();
  return cached;
}

async function locate(): Promise<string> {
  let dir = process.env['HYBRIDGATE_TEST_BIN_DIR'];
  if (!dir) {
    try {
      const { stdout } = await run(join(REPO_ROOT, 'hack/install-test-binaries.sh'), ['--print-dir'], {
        cwd: REPO_ROOT,
        timeout: 60 * 60 * 1000,
        maxBuffer: 1 << 20,
      });
      dir = stdout.trim();
    } catch (err) {
      throw new TestBinariesError('hack/install-test-binaries.sh --print-dir failed', { cause: err });
    }
  }
  for (const name of TEST_BINARIES) {
    try {
      await access(join(dir, name), constants.X_OK);
    } catch (err) {
      throw new TestBinariesError(`${join(dir, name)} is missing or not executable`, { cause: err });
    }
  }
  return dir;
}
