import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EnvUser, TestEnvironment } from './environment.js';

const run = promisify(execFile);

/** Result of a kubectl run (a non-zero exit is returned, not thrown, so tests can assert on stderr). */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the hack/-built kubectl against the environment, optionally feeding `stdin`. */
export async function kubectl(
  env: TestEnvironment,
  args: string[],
  opts: { user?: EnvUser; stdin?: string } = {},
): Promise<KubectlResult> {
  const full = [`--kubeconfig=${env.kubeconfigPath}`, `--context=${opts.user ?? 'admin'}`, ...args];
  const child = run(join(env.binDir, 'kubectl'), full, {
    timeout: 30_000,
    env: { ...process.env, KUBECACHEDIR: join(env.kubeconfigPath, '..', 'kube-cache') },
  });
  if (opts.stdin !== undefined) {
    child.child.stdin?.end(opts.stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
