import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { KubeConfig } from '@kubernetes/client-node';
import { testBinDir } from './binaries.js';
import { freePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { renderKubeconfig } from './kubeconfig.js';
import { pollUntil } from './poll.js';
import { installCrds } from './install-crds.js';

/** Options of a test environment. */
export interface EnvironmentOptions {
  /** Also run kube-controller-manager (ReplicaSets, garbage collection, namespaces); default true. */
  controllerManager?: boolean;
  /** Install the Hybridgate CRDs from crds/; default true. */
  installCrds?: boolean;
  /**
   * Serve and advertise on this address instead of 127.0.0.1 (the local node's bridge address, so that
   * pods reach the apiserver); the kubeconfig then points there too. Default 127.0.0.1.
   */
  address?: string;
  /** A serving certificate instead of the apiserver's self-signed one (its SANs must cover `address`). */
  servingCert?: { certFile: string; keyFile: string; caFile: string };
  /** Also run kube-scheduler (pods get a node); default false. */
  scheduler?: boolean;
  /** Enable the ServiceAccount admission plugin (pods get the kube-api-access volume); default false. */
  serviceAccountAdmission?: boolean;
}

/** The two identities of the test cluster: `admin` (system:masters) and `operator` (no rights until RBAC grants some). */
export type EnvUser = 'admin' | 'operator';

/** A running etcd + kube-apiserver (+ kube-controller-manager) on loopback, torn down by stop(). */
export interface TestEnvironment {
  /** https://127.0.0.1:<port> */
  server: string;
  /** kubeconfig with contexts `admin` (current) and `operator`. */
  kubeconfigPath: string;
  /** The user name the apiserver sees for the operator identity. */
  operatorUserName: string;
  /** Directory of the hack/-built binaries (kubectl, helm, ...). */
  binDir: string;
  /** The CA that signs the apiserver's serving certificate (PEM). */
  caPem: string;
  /** The bearer token of the `admin` identity (system:masters). */
  adminToken: string;
  /** The apiserver's address and port (what pods get as KUBERNETES_SERVICE_HOST/PORT). */
  apiAddress: string;
  apiPort: number;
  /** How long start took, for the report (milliseconds). */
  startupMs: number;
  /** A client-node KubeConfig for one identity. */
  kubeConfig(user?: EnvUser): KubeConfig;
  /** Stops every process and removes every file the environment made; safe to call twice. */
  stop(): Promise<void>;
}

const SERVICE_CIDR = '10.96.0.0/24';

/** Starts a fresh environment in its own temp dir; on any failure everything started so far is stopped. */
export async function startEnvironment(opts: EnvironmentOptions = {}): Promise<TestEnvironment> {
  const started = Date.now();
  const binDir = await testBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'hg-envtest-'));
  const processes: ManagedProcess[] = [];
  let agent: Agent | undefined;
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    processes.length = 0;
    await agent?.close();
    agent = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = new ManagedProcess(
      'etcd',
      join(binDir, 'etcd'),
      [
        '--name=envtest',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=envtest=http://127.0.0.1:${etcdPeerPort}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    processes.push(etcd);

    // Service-account keys and the static tokens of the two identities.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    const adminToken = randomBytes(16).toString('hex');
    const operatorToken = randomBytes(16).toString('hex');
    const operatorUserName = 'hybridgate-operator';
    await writeFile(
      join(dir, 'tokens.csv'),
      `${adminToken},admin,admin-uid,"system:masters"\n${operatorToken},${operatorUserName},operator-uid\n`,
      { mode: 0o600 },
    );

    await pollUntil(
      'etcd /health',
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        const body = (await res.json()) as { health?: string };
        return body.health === 'true' ? true : undefined;
      },
      { timeoutMs: 30_000, abort: etcd.whenExited() },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n--- etcd log ---\n${await etcd.tail()}`);
    });

    const address = opts.address ?? '127.0.0.1';
    const certDir = join(dir, 'apiserver-certs');
    await mkdir(certDir);
    const servingFlags = opts.servingCert
      ? [`--tls-cert-file=${opts.servingCert.certFile}`, `--tls-private-key-file=${opts.servingCert.keyFile}`]
      : [];
    const apiserver = new ManagedProcess(
      'kube-apiserver',
      join(binDir, 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        `--cert-dir=${certDir}`,
        `--secure-port=${apiPort}`,
        `--bind-address=${address}`,
        `--advertise-address=${address}`,
        ...servingFlags,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--authorization-mode=RBAC',
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--enable-priority-and-fairness=false',
        ...(opts.serviceAccountAdmission ? [] : ['--disable-admission-plugins=ServiceAccount']),
        '--v=0',
      ],
      join(dir, 'kube-apiserver.log'),
    );
    processes.push(apiserver);
    const server = `https://${address}:${apiPort}`;

    // Without a given certificate the apiserver writes its self-signed serving chain into --cert-dir;
    // that chain is the CA we trust.
    const caPem = opts.servingCert
      ? await readFile(opts.servingCert.caFile, 'utf8')
      : await pollUntil(
          'kube-apiserver serving certificate',
          async () => (await readFile(join(certDir, 'apiserver.crt'), 'utf8').catch(() => '')) || undefined,
          { timeoutMs: 30_000, abort: apiserver.whenExited() },
        );
    await writeFile(join(dir, 'ca.crt'), caPem);
    agent = new Agent({ connect: { ca: caPem } });
    const readyAgent = agent;
    await pollUntil(
      'kube-apiserver /readyz',
      async () => {
        const res = await request(`${server}/readyz`, {
          dispatcher: readyAgent,
          headers: { authorization: `Bearer ${adminToken}` },
        });
        await res.body.text();
        return res.statusCode === 200 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, abort: apiserver.whenExited() },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n--- kube-apiserver log ---\n${await apiserver.tail()}`);
    });

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      renderKubeconfig(server, caPem, [
        { name: 'admin', token: adminToken },
        { name: 'operator', token: operatorToken },
      ]),
      { mode: 0o600 },
    );

    if (opts.controllerManager ?? true) {
      processes.push(
        new ManagedProcess(
          'kube-controller-manager',
          join(binDir, 'kube-controller-manager'),
          [
            `--kubeconfig=${kubeconfigPath}`,
            '--leader-elect=false',
            '--secure-port=0',
            `--service-account-private-key-file=${join(dir, 'sa.key')}`,
            `--service-cluster-ip-range=${SERVICE_CIDR}`,
            '--use-service-account-credentials=false',
            '--concurrent-gc-syncs=5',
            // kube-root-ca.crt ConfigMaps (what projected kube-api-access volumes carry as ca.crt).
            `--root-ca-file=${join(dir, 'ca.crt')}`,
            '--v=0',
          ],
          join(dir, 'kube-controller-manager.log'),
        ),
      );
    }

    if (opts.scheduler) {
      processes.push(
        new ManagedProcess(
          'kube-scheduler',
          join(binDir, 'kube-scheduler'),
          [`--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--secure-port=0', '--v=0'],
          join(dir, 'kube-scheduler.log'),
        ),
      );
    }

    const kubeConfig = (user: EnvUser = 'admin') => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      kc.setCurrentContext(user);
      return kc;
    };
    if (opts.installCrds ?? true) await installCrds(kubeConfig('admin'));

    return {
      server,
      kubeconfigPath,
      operatorUserName,
      binDir,
      caPem,
      adminToken,
      apiAddress: address,
      apiPort,
      startupMs: Date.now() - started,
      kubeConfig,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
