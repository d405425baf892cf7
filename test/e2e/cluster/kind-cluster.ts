import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, ToolError } from '../support/run-tool.js';
import type { E2ECluster } from './e2e-cluster.js';

/** How to reach an existing kind cluster and which image it was loaded with. */
export interface KindClusterOptions {
  /** kind cluster name (`kind get clusters`). */
  name: string;
  /** The Hybridgate image loaded into the nodes (`kind load docker-image`), `repository:tag`. */
  image: string;
  /** The docker network kind's nodes sit on (`kind` unless KIND_EXPERIMENTAL_DOCKER_NETWORK says otherwise). */
  network?: string;
}

/** The options from the environment hack/e2e-kind.sh sets (HG_E2E_KIND_NAME, HG_E2E_IMAGE). */
export function kindOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): KindClusterOptions {
  const image = env['HG_E2E_IMAGE'];
  if (!image || !/^[^\s:]+(:[\w.-]+)$/.test(image)) {
    throw new Error(
      `HG_E2E_CLUSTER=kind needs HG_E2E_IMAGE=<repository>:<tag> (the image loaded into kind); got ${JSON.stringify(image)}. Run make e2e-kind.`,
    );
  }
  return {
    name: env['HG_E2E_KIND_NAME'] || 'hybridgate-e2e',
    image,
    network: env['KIND_EXPERIMENTAL_DOCKER_NETWORK'] || 'kind',
  };
}

// Where a program is on PATH, or a clear error naming it.
async function which(bin: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(':').filter(Boolean)) {
    const candidate = join(dir, bin);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${bin} is not on PATH; the kind e2e run needs docker, kind, kubectl and helm`);
}

// `kubectl port-forward` prints "Forwarding from 127.0.0.1:<port> -> <target>" once it listens.
function portForward(
  kubectl: string,
  kubeconfig: string,
  namespace: string,
  pod: string,
  port: number,
): Promise<{ host: string; port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      kubectl,
      [
        '--kubeconfig',
        kubeconfig,
        'port-forward',
        '-n',
        namespace,
        `pod/${pod}`,
        `:${port}`,
        '--address',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`kubectl port-forward ${namespace}/${pod}:${port} did not listen within 20 s: ${err}`),
      );
    }, 20_000);
    const closed = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          host: '127.0.0.1',
          port: Number(m[1]),
          close: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await closed;
          },
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${namespace}/${pod}:${port} exited (${code}): ${err.trim()}`));
    });
  });
}

/** The IPv4 gateway of kind's docker network: the host as the pods see it. */
async function networkGateway(network: string): Promise<string> {
  const out = await runTool('docker', [
    'network',
    'inspect',
    network,
    '-f',
    '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
  ]);
  const v4 = out.split(/\s+/).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  if (!v4) throw new Error(`docker network ${network} has no IPv4 gateway (got "${out.trim()}")`);
  return v4;
}

/**
 * E2ECluster over an existing kind cluster (made by hack/e2e-kind.sh): its kubeconfig from
 * `kind get kubeconfig`, pods reached through `kubectl port-forward`, upstream servers bound to the
 * kind network's gateway. spec.image stays unset so that spec.version picks the tag (the script loads
 * the image under the version and the upgrade version), as users run it.
 */
export async function connectKindCluster(opts: KindClusterOptions): Promise<E2ECluster> {
  const [kubectl, helm] = await Promise.all([
    which('kubectl'),
    which('helm'),
    which('kind'),
    which('docker'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'hg-e2e-kind-'));
  const forwards = new Set<{ close(): Promise<void> }>();
  try {
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, await runTool('kind', ['get', 'kubeconfig', '--name', opts.name]), {
      mode: 0o600,
    });
    const binDir = join(dir, 'bin');
    await mkdir(binDir);
    await symlink(kubectl!, join(binDir, 'kubectl'));
    await symlink(helm!, join(binDir, 'helm'));
    const hostAddress = await networkGateway(opts.network ?? 'kind');
    const colon = opts.image.lastIndexOf(':');
    const cluster: E2ECluster = {
      kubeconfigPath,
      binDir,
      imageValues: {
        'image.repository': opts.image.slice(0, colon),
        'image.tag': opts.image.slice(colon + 1),
        'image.pullPolicy': 'IfNotPresent',
      },
      hostAddress,
      async reachPod(namespace, pod, port) {
        const f = await portForward(kubectl!, kubeconfigPath, namespace, pod, port);
        const entry = {
          ...f,
          close: async () => {
            forwards.delete(entry);
            await f.close();
          },
        };
        forwards.add(entry);
        return entry;
      },
      kubectl: (args, o = {}) =>
        runTool(kubectl!, ['--kubeconfig', kubeconfigPath, ...args], {
          ...(o.input !== undefined ? { input: o.input } : {}),
          timeoutMs: o.timeoutMs ?? 60_000,
        }),
      helm: (args, o = {}) =>
        runTool(helm!, ['--kubeconfig', kubeconfigPath, ...args], { timeoutMs: o.timeoutMs ?? 300_000 }),
      async podLogTail(namespace, pod, lines = 50) {
        try {
          return await runTool(kubectl!, [
            '--kubeconfig',
            kubeconfigPath,
            'logs',
            '-n',
            namespace,
            pod,
            '--all-containers',
            `--tail=${lines}`,
          ]);
        } catch (err) {
          return err instanceof ToolError ? `(no log: ${err.stderr.trim()})` : `(no log: ${String(err)})`;
        }
      },
      async stop() {
        await Promise.allSettled([...forwards].map((f) => f.close()));
        await rm(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
