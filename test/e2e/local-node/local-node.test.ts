import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { pollUntil } from '../../envtest/poll.js';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster.js';
import { REPO_ROOT } from '../../envtest/binaries.js';
import { APP, controlPlanePair, SECRET, tradManifests } from './fixtures.js';
import { ip } from './pod-network.js';

const run = promisify(execFile);

// A real cluster (etcd, kube-apiserver, controller-manager, scheduler) and real runtime processes in
// their own namespaces: the node is judged by what a pod sees, read through /proc/<pid>/root and
// nsenter from the host, and by what the API reports.
jest.setTimeout(60_000);

let cluster: LocalCluster;
const startedAt = Date.now();

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  status?: {
    podIP?: string;
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      containerID?: string;
      state: Record<string, { reason?: string; message?: string }>;
    }[];
  };
}

async function pods(selector = `app=${APP}`): Promise<PodJson[]> {
  const out = await cluster.kubectl(['get', 'pods', '-n', 'default', '-l', selector, '-o', 'json']);
  return (JSON.parse(out) as { items: PodJson[] }).items;
}

/** The single ready, not-terminating pod of the Deployment. */
async function readyPod(exclude?: string): Promise<PodJson & { pid: number; ip: string }> {
  return pollUntil(
    'a ready trad pod',
    async () => {
      const p = (await pods()).find(
        (x) =>
          !x.metadata.deletionTimestamp &&
          x.metadata.name !== exclude &&
          x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      const id = p?.status?.containerStatuses?.[0]?.containerID;
      if (!p || !id || !p.status?.podIP) return undefined;
      return { ...p, pid: Number(id.replace('local://', '')), ip: p.status.podIP };
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

/** A file as the pod sees it (its mount namespace and root; /proc/<pid>/root would resolve absolute symlinks like /var/run on the host). */
async function podRead(pid: number, path: string): Promise<string> {
  const { stdout } = await run('nsenter', ['-t', String(pid), '-m', '-r', 'cat', path]);
  return stdout;
}

async function failWith<T>(what: Promise<T>, pod?: string): Promise<T> {
  try {
    return await what;
  } catch (err) {
    const tail = pod ? await cluster.podLogTail('default', pod) : '';
    const nodeLog = await readFile(cluster.node.logPath, 'utf8').catch(() => '');
    throw new Error(
      `${(err as Error).message}\n--- pod log ---\n${tail}\n--- node log ---\n${nodeLog.split('\n').slice(-30).join('\n')}`,
      { cause: err },
    );
  }
}

beforeAll(async () => {
  cluster = await startLocalCluster();
  console.log(
    `local cluster started in ${cluster.startupMs} ms (range ${cluster.podCidr}, bridge ${cluster.bridge})`,
  );
  await cluster.kubectl(['apply', '-f', '-'], { input: tradManifests() });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  console.log(`local node suite took ${Date.now() - startedAt} ms`);
});

describe('local node', () => {
  let first: PodJson & { pid: number; ip: string };

  it('runs a Deployment of the Hybridgate image until it is Available, on an IP of the run', async () => {
    await failWith(
      cluster.kubectl(['wait', '--for=condition=Available', `deployment/${APP}`, '--timeout=40s'], {
        timeoutMs: 45_000,
      }),
      (await pods())[0]?.metadata.name,
    );
    first = await readyPod();
    const [net] = cluster.podCidr.split('.0/24');
    expect(first.ip.startsWith(`${net}.`)).toBe(true);
    const res = await request(`http://${first.ip}:8100/status`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const admin = await request(`http://${first.ip}:8001/`);
    expect(admin.statusCode).toBe(200);
    await admin.body.dump();
    // its own host name, the pod's
    const { stdout: hostname } = await run('nsenter', ['-t', String(first.pid), '-u', 'hostname']);
    expect(hostname.trim()).toBe(first.metadata.name);
    // kubectl logs goes through the apiserver to the node's log endpoint
    const logs = await cluster.kubectl(['logs', first.metadata.name, '--tail=50']);
    expect(logs).toContain('node started');
    expect(logs).not.toContain('--- local node:');
    // env: fieldRef and secretKeyRef resolved, KUBERNETES_SERVICE_* at the apiserver's bridge address
    const environ = (await readFile(`/proc/${first.pid}/environ`, 'utf8')).split('\0');
    expect(environ).toContain(`HYBRIDGATE_TEST_POD_IP=${first.ip}`);
    expect(environ).toContain('HYBRIDGATE_TEST_SECRET=hello-1');
    expect(environ).toContain(`KUBERNETES_SERVICE_HOST=${cluster.hostAddress}`);
    // the claim was provisioned and bound, and the pod sees the volume's directory
    const pvc = JSON.parse(await cluster.kubectl(['get', 'pvc', 'trad-data', '-o', 'json'])) as {
      status: { phase: string };
      spec: { volumeName: string };
    };
    expect(pvc.status.phase).toBe('Bound');
    const pv = JSON.parse(await cluster.kubectl(['get', 'pv', pvc.spec.volumeName, '-o', 'json'])) as {
      spec: { hostPath: { path: string } };
    };
    await writeFile(join(pv.spec.hostPath.path, 'marker'), 'on the volume');
    expect(await podRead(first.pid, '/var/lib/hybridgate/marker')).toBe('on the volume');
  });

  it('mounts Secret items read-only and swaps in a changed Secret', async () => {
    const file = `/proc/${first.pid}/root/etc/hybridgate/extra/hello.txt`;
    expect(await readFile(file, 'utf8')).toBe('hello-1');
    expect(existsSync(`/proc/${first.pid}/root/etc/hybridgate/extra/other`)).toBe(false);
    const mountinfo = await readFile(`/proc/${first.pid}/mountinfo`, 'utf8');
    const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === '/etc/hybridgate/extra');
    expect(line?.split(' ')[5]?.split(',')).toContain('ro');
    await expect(writeFile(file, 'x')).rejects.toThrow();
    // the host's /etc is untouched: the mountpoint lives in an overlay of the pod's mount namespace
    expect(existsSync('/etc/hybridgate/extra')).toBe(false);
    await cluster.kubectl([
      'patch',
      'secret',
      SECRET,
      '-p',
      JSON.stringify({ stringData: { greeting: 'hello-2' } }),
    ]);
    await pollUntil(
      'the new secret value in the pod',
      async () => ((await readFile(file, 'utf8')) === 'hello-2' ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
  });

  it('resolves Service names inside the pod to ready endpoints and the apiserver as kubernetes.default.svc', async () => {
    const hosts = await pollUntil(
      'trad-svc in the pod hosts file',
      async () => {
        const text = await podRead(first.pid, '/etc/hosts');
        return text.includes('trad-svc.default.svc.cluster.local') ? text : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(hosts).toMatch(
      new RegExp(`^${first.ip.replace(/\./g, '\\.')}\\t.*\\btrad-svc\\.default\\.svc\\b`, 'm'),
    );
    expect(hosts).toMatch(
      new RegExp(`^${cluster.hostAddress.replace(/\./g, '\\.')}\\t.*kubernetes\\.default\\.svc\\b`, 'm'),
    );
    // a real lookup and a real connection from inside the pod's namespaces, by name
    const { stdout: resolved } = await run('nsenter', [
      '-t',
      String(first.pid),
      '-m',
      '-r',
      '-n',
      'getent',
      'hosts',
      'trad-svc.default.svc',
    ]);
    expect(resolved.split(/\s+/)[0]).toBe(first.ip);
    const script = "fetch('http://trad-svc.default.svc:8100/status').then(r=>console.log(r.status))";
    const { stdout: fetched } = await run('nsenter', [
      '-t',
      String(first.pid),
      '-m',
      '-r',
      '-n',
      process.execPath,
      '-e',
      script,
    ]);
    expect(fetched.trim()).toBe('200');
  });

  it('gives the pod a bound service-account token that authenticates against kubernetes.default.svc', async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = (await podRead(first.pid, join(dir, 'token'))).trim();
    expect(await podRead(first.pid, join(dir, 'namespace'))).toBe('default');
    expect(await podRead(first.pid, join(dir, 'ca.crt'))).toContain('BEGIN CERTIFICATE');
    const who = await cluster.kubectl([
      '--token',
      token,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(who).toBe('system:serviceaccount:default:default');
    const script = [
      "const fs=require('fs');const d='/var/run/secrets/kubernetes.io/serviceaccount/';",
      "const u='https://kubernetes.default.svc:'+process.env.KUBERNETES_SERVICE_PORT+'/api/v1/namespaces/default/pods';",
      "require('https').get(u,{ca:fs.readFileSync(d+'ca.crt'),headers:{authorization:'Bearer '+fs.readFileSync(d+'token','utf8')}},",
      'r=>{console.log(r.statusCode);r.resume()}).on("error",e=>console.log(e.message))',
    ].join('');
    const { stdout } = await run(
      'nsenter',
      ['-t', String(first.pid), '-m', '-r', '-n', process.execPath, '-e', script],
      {
        env: { ...process.env, KUBERNETES_SERVICE_PORT: String(cluster.env.apiPort) },
      },
    );
    // authenticated (the default ServiceAccount has no RBAC rights: 403, not 401)
    expect(stdout.trim()).toBe('403');
  });

  it('sends SIGTERM on deletion, removes the pod and its netns, and the ReplicaSet replaces it', async () => {
    const netnsBefore = await ip(['netns', 'list']);
    const ours = netnsBefore.split('\n').filter((l) => l.startsWith(`hg${cluster.runId}-`));
    await cluster.kubectl(['delete', 'pod', first.metadata.name, '--wait=false']);
    const next = await failWith(readyPod(first.metadata.name), first.metadata.name);
    expect(next.metadata.name).not.toBe(first.metadata.name);
    await pollUntil(
      'the old pod object gone',
      async () => ((await pods()).some((p) => p.metadata.uid === first.metadata.uid) ? undefined : true),
      { timeoutMs: 15_000 },
    );
    const log = await cluster.podLogTail('default', first.metadata.name, 200);
    expect(log).toContain('SIGTERM');
    expect(log).toContain('node stopped');
    expect(existsSync(`/proc/${first.pid}`)).toBe(false);
    const after = (await ip(['netns', 'list']))
      .split('\n')
      .filter((l) => l.startsWith(`hg${cluster.runId}-`));
    expect(after.length).toBe(ours.length); // one gone, one made
    first = next;
  });

  it('refuses another image with a status naming it (and keeps running the rest)', async () => {
    await cluster.kubectl(['run', 'web', '--image=nginx:1.27', '--restart=Never']);
    const message = await pollUntil(
      'web waiting with an image error',
      async () => {
        const p = (await pods('run=web'))[0];
        const waiting = p?.status?.containerStatuses?.[0]?.state['waiting'];
        return waiting?.reason === 'ErrImagePull' ? waiting.message : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(message).toContain('nginx:1.27');
    expect(await readFile(cluster.node.logPath, 'utf8')).toContain('nginx:1.27');
    await cluster.kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=15s']);
  });

  it('connects a data plane to its control plane by Service name, over mTLS, pod to pod', async () => {
    const dir = join(cluster.node.logPath, '..');
    const crt = join(dir, 'cluster.crt');
    const key = join(dir, 'cluster.key');
    await run(process.execPath, [join(REPO_ROOT, 'bin/hybridgate.js'), 'hybrid', 'gen_cert', crt, key]);
    const objects = controlPlanePair(await readFile(crt, 'utf8'), await readFile(key, 'utf8'));
    // JSON, not YAML: kubectl reads YAML 1.1, where the conf value `off` is a boolean
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });
    await failWith(
      cluster.kubectl(
        ['wait', '--for=condition=Available', 'deployment/cp', 'deployment/dp', '--timeout=40s'],
        {
          timeoutMs: 45_000,
        },
      ),
      (await pods('app=dp'))[0]?.metadata.name,
    );
    const cp = (await pods('app=cp'))[0]!;
    const dp = (await pods('app=dp'))[0]!;
    const rows = await pollUntil(
      'the data plane in the control plane list',
      async () => {
        const res = await request(`http://${cp.status!.podIP}:8001/clustering/data-planes`);
        const body = (await res.body.json()) as { data?: { ip?: string; hostname?: string }[] };
        return body.data?.length ? body.data : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 300 },
    );
    // the CP saw the DP's own address and host name: a pod-to-pod connection, not one via the host
    expect(rows[0]).toMatchObject({ ip: dp.status!.podIP, hostname: dp.metadata.name });
  });

  it('runs init containers first and ends a restartPolicy Never pod as Succeeded', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'once', namespace: 'default' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 'init', image: 'hybridgate/hybridgate', args: ['version'] }],
        containers: [
          { name: 'main', image: 'hybridgate/hybridgate:0.1.0', command: ['hybridgate', 'version'] },
        ],
      },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    const status = await failWith(
      pollUntil(
        'pod once Succeeded',
        async () => {
          const p = JSON.parse(await cluster.kubectl(['get', 'pod', 'once', '-o', 'json'])) as {
            status: {
              phase: string;
              initContainerStatuses?: { state: { terminated?: { exitCode: number } } }[];
              containerStatuses?: { state: { terminated?: { exitCode: number; reason: string } } }[];
            };
          };
          return p.status.phase === 'Succeeded' ? p.status : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 300 },
      ),
      'once',
    );
    expect(status.initContainerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
    expect(status.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    // both ran, in order, and printed the version
    const log = await cluster.podLogTail('default', 'once', 50);
    expect(log.indexOf('starting container init')).toBeLessThan(log.indexOf('starting container main'));
    expect(log).toContain('0.1.0');
  });

  it('keeps its Node Ready with a renewed Lease', async () => {
    const node = JSON.parse(await cluster.kubectl(['get', 'node', cluster.nodeName, '-o', 'json'])) as {
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
      };
      spec: { taints?: unknown[] };
    };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: cluster.hostAddress });
    expect(node.spec.taints ?? []).toEqual([]);
    const lease = JSON.parse(
      await cluster.kubectl(['get', 'lease', '-n', 'kube-node-lease', cluster.nodeName, '-o', 'json']),
    ) as { spec: { holderIdentity: string; renewTime: string } };
    expect(lease.spec.holderIdentity).toBe(cluster.nodeName);
    expect(Date.now() - Date.parse(lease.spec.renewTime)).toBeLessThan(30_000);
  });

  it('leaves no process, netns, link, mount or directory of the run after stop()', async () => {
    const pid = first.pid;
    const runDir = join(cluster.node.logPath, '..', '..');
    await cluster.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect((await ip(['netns', 'list'])).includes(`hg${cluster.runId}-`)).toBe(false);
    const links = await ip(['-o', 'link']);
    expect(links.includes(cluster.bridge)).toBe(false);
    expect(links.includes(`hgv${cluster.runId}`)).toBe(false);
    expect((await readFile('/proc/mounts', 'utf8')).includes(runDir)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    await cluster.stop(); // twice is fine
  });
});
