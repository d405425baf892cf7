import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_IMAGE } from '../../../src/shared/contract.js';
import { HYBRIDGATE_VERSION } from '../../../src/runtime/version.js';
import { REPO_ROOT } from '../../envtest/binaries.js';
import { startEnvironment, type TestEnvironment } from '../../envtest/environment.js';
import { pollUntil } from '../../envtest/poll.js';
import { KubeApi } from '../local-node/kube-api.js';
import { leftovers } from '../local-node/last-resort.js';
import { LocalNode } from '../local-node/local-node.js';
import { PodNetwork } from '../local-node/pod-network.js';
import { makeServingCerts } from '../local-node/serving-certs.js';
import type { E2ECluster } from './e2e-cluster.js';

/** Options of the local cluster. */
export interface LocalClusterOptions {
  /** bin/hybridgate.js the pods run; default $HG_TEST_CLI, else the repository's. */
  cliPath?: string;
  /** Install the Hybridgate CRDs up front (the chart installs them too); default false. */
  installCrds?: boolean;
}

/** The local cluster: an E2ECluster plus what its own tests look at. */
export interface LocalCluster extends E2ECluster {
  /** The run's 4-hex id (part of every netns, link and directory name). */
  runId: string;
  /** The pod range, e.g. 10.250.17.0/24. */
  podCidr: string;
  /** The bridge device. */
  bridge: string;
  /** The node's name. */
  nodeName: string;
  /** The local node (workers, logs). */
  node: LocalNode;
  /** The apiserver environment. */
  env: TestEnvironment;
  /** A client with admin rights. */
  api: KubeApi;
  /** How long startLocalCluster took (ms). */
  startupMs: number;
}

/** A command that exited non-zero: what ran and its stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(`${command} failed: ${stderr.trim()}`, options);
    this.name = 'CommandError';
  }
}

/**
 * Starts etcd, kube-apiserver (serving on the run's bridge, with a certificate valid for the
 * kubernetes.default names), kube-controller-manager and kube-scheduler, and a LocalNode that runs
 * the pods: a real cluster for the chart, the operator and the runtime, without a container runtime.
 * On any failure everything started so far is removed.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const started = Date.now();
  const cliPath = opts.cliPath ?? process.env['HG_TEST_CLI'] ?? join(REPO_ROOT, 'bin/hybridgate.js');
  await access(join(cliPath, '..', '..', 'dist', 'cli', 'main.js')).catch((err: unknown) => {
    throw new Error(`the project is not built (no dist/cli/main.js beside ${cliPath}): run make build`, {
      cause: err,
    });
  });
  const runId = randomBytes(2).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), `hg-e2e-${runId}-`));
  leftovers.add('dirs', dir);
  // hack/e2e-cleanup.sh leaves runs whose owner is alive alone.
  await writeFile(join(dir, 'owner.pid'), String(process.pid));
  let net: PodNetwork | undefined;
  let env: TestEnvironment | undefined;
  let api: KubeApi | undefined;
  let node: LocalNode | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await node?.stop().catch(() => {});
      await api?.close().catch(() => {});
      await env?.stop().catch(() => {});
      if (env) leftovers.delete('owners', dirname(env.kubeconfigPath));
      await net?.destroy().catch(() => {});
      await rm(dir, { recursive: true, force: true });
      leftovers.delete('dirs', dir);
    })());
  try {
    net = await PodNetwork.create(runId);
    await mkdir(join(dir, 'certs'));
    const certs = await makeServingCerts(join(dir, 'certs'), [net.hostAddress]);
    env = await startEnvironment({
      address: net.hostAddress,
      servingCert: certs,
      scheduler: true,
      serviceAccountAdmission: true,
      installCrds: opts.installCrds ?? false,
    });
    // The environment's processes name its directory on their command lines: the watchdog's handle.
    const envDir = dirname(env.kubeconfigPath);
    leftovers.add('owners', envDir);
    api = new KubeApi(env.server, env.caPem, env.adminToken);
    await mkdir(join(dir, 'kubelet-certs'));
    const kubeletCert = await makeServingCerts(join(dir, 'kubelet-certs'), [net.hostAddress]);
    const nodeName = `${'hg'}${runId}-node`;
    node = new LocalNode({
      api,
      net,
      nodeName,
      runDir: join(dir, 'node'),
      cliPath,
      apiHost: env.apiAddress,
      apiPort: env.apiPort,
      kubeletCert,
    });
    await node.start();
    // Pods need their namespace's ServiceAccount (admission) and kube-root-ca.crt (token volumes).
    const readyApi = api;
    await pollUntil(
      'default ServiceAccount and kube-root-ca.crt',
      async () =>
        (await readyApi.getOrUndefined('/api/v1/namespaces/default/serviceaccounts/default')) &&
        (await readyApi.getOrUndefined('/api/v1/namespaces/default/configmaps/kube-root-ca.crt'))
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const theEnv = env;
    const theNode = node;
    const kubeEnv = {
      ...process.env,
      KUBECONFIG: env.kubeconfigPath,
      KUBECACHEDIR: join(dir, 'kube-cache'),
      HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
      HELM_DATA_HOME: join(dir, 'helm', 'data'),
    };
    const exec = (bin: string, args: string[], timeoutMs: number, input?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile(
          join(theEnv.binDir, bin),
          args,
          { env: kubeEnv, timeout: timeoutMs, maxBuffer: 64 << 20 },
          (err, stdout, stderr) => {
            if (err)
              reject(new CommandError(`${bin} ${args.join(' ')}`, stderr || err.message, { cause: err }));
            else resolve(stdout);
          },
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    return {
      kubeconfigPath: env.kubeconfigPath,
      binDir: env.binDir,
      imageValues: { 'image.repository': DEFAULT_IMAGE, 'image.tag': HYBRIDGATE_VERSION },
      image: undefined,
      hostAddress: net.hostAddress,
      async reachPod(namespace, pod, port) {
        const p = await readyApi.call<{ status?: { podIP?: string } }>(
          'GET',
          `/api/v1/namespaces/${namespace}/pods/${pod}`,
        );
        const host = p.status?.podIP;
        if (!host) throw new Error(`pod ${namespace}/${pod} has no IP yet`);
        return { host, port, close: async () => {} };
      },
      kubectl: (args, o) => exec('kubectl', args, o?.timeoutMs ?? 60_000, o?.input),
      helm: (args, o) => exec('helm', args, o?.timeoutMs ?? 120_000),
      async podLogTail(namespace, pod, lines = 40) {
        const text = await theNode.podLog(namespace, pod);
        return text
          .split('\n')
          .slice(-lines - 1)
          .join('\n');
      },
      stop,
      runId,
      podCidr: net.cidr,
      bridge: net.bridge,
      nodeName,
      node,
      env,
      api,
      startupMs: Date.now() - started,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
