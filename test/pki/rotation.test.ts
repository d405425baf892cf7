/**
 * Certificate rotation (issue 5): a control plane and two data planes in PKI mode (in-process nodes
 * with real listeners, store and proxy) read their certificates from Secret-like mounts. The CA and
 * every node certificate are replaced on disk the way the kubelet updates a Secret while a bounded load
 * loop goes through both DPs: no request fails, and every DP reconnects with its new certificate (the
 * CP's /clustering/data-planes shows the new cert_details.expiry_timestamp).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { loadConf } from '../../src/runtime/config/conf/index.js';
import { certificateExpiry } from '../../src/runtime/pki/cert-inspect.js';
import { startNode, type RunningNode } from '../../src/runtime/start-node.js';
import { captureLogger, tempDir } from '../cluster/helpers.js';
import { adminCall, httpRequest, pollUntil, startUpstream, type Upstream } from '../cluster/helpers/http.js';
import { asn1Time, OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { pem } from './helpers/pki-cluster.js';
import { SecretMount } from './helpers/secret-mount.js';

const SERVER_NAME = 'control-plane.kong.yourcorp.tld';
const { dir, cleanup } = tempDir('hg-pki-rotation-');
const nodes: RunningNode[] = [];
let upstream: Upstream;

afterAll(async () => {
  for (const n of nodes.splice(0).reverse()) await n.close();
  await upstream?.close();
  cleanup();
});

function start(env: Record<string, string>): Promise<RunningNode> {
  const { conf } = loadConf({ env, cwd: dir });
  const { logger } = captureLogger(conf.role);
  return startNode(conf, logger).then((n) => {
    nodes.push(n);
    return n;
  });
}

interface Generation {
  root: OpensslCa;
  cp: IssuedCert;
  dps: IssuedCert[];
}

function generation(name: string, days: number): Generation {
  const root = OpensslCa.root(dir, `root-${name}`, `Hybrid Root CA ${name}`);
  const inter = root.intermediate(dir, `inter-${name}`);
  const enddate = asn1Time(new Date(Date.now() + days * 86400_000));
  return {
    root,
    cp: inter.issue(dir, `cp-${name}`, { cn: SERVER_NAME, eku: ['serverAuth'], dns: [SERVER_NAME], enddate }),
    dps: [0, 1].map((i) =>
      inter.issue(dir, `dp${i}-${name}`, { cn: `dp-${i}`, eku: ['clientAuth'], enddate }),
    ),
  };
}

const secret = (g: Generation, c: IssuedCert) => ({
  'tls.crt': c.chain,
  'tls.key': c.key,
  'ca.crt': g.root.cert,
});
const expiryOf = (c: IssuedCert) => certificateExpiry(new X509Certificate(pem(c.cert)));

describe('certificate rotation in PKI mode', () => {
  let v1: Generation;
  let v2: Generation;
  let cpMount: SecretMount;
  let dpMounts: SecretMount[];
  let adminPort: number;
  let proxyPorts: number[];

  beforeAll(async () => {
    v1 = generation('v1', 30);
    v2 = generation('v2', 60);
    upstream = await startUpstream('rotation-upstream');
    cpMount = new SecretMount(`${dir}/cp-secret`);
    cpMount.write(secret(v1, v1.cp));
    dpMounts = v1.dps.map((c, i) => {
      const m = new SecretMount(`${dir}/dp${i}-secret`);
      m.write(secret(v1, c));
      return m;
    });
    const tlsEnv = (m: SecretMount) => ({
      HYBRIDGATE_CLUSTER_MTLS: 'pki',
      HYBRIDGATE_CLUSTER_CERT: m.path('tls.crt'),
      HYBRIDGATE_CLUSTER_CERT_KEY: m.path('tls.key'),
      HYBRIDGATE_CLUSTER_CA_CERT: m.path('ca.crt'),
    });
    const cp = await start({
      HYBRIDGATE_ROLE: 'control_plane',
      HYBRIDGATE_PREFIX: `${dir}/cp`,
      HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_CLUSTER_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
      ...tlsEnv(cpMount),
    });
    adminPort = cp.addresses.admin!.port;
    const clusterPort = cp.addresses.cluster!.port;
    const dps = await Promise.all(
      dpMounts.map((m, i) =>
        start({
          HYBRIDGATE_ROLE: 'data_plane',
          HYBRIDGATE_DATABASE: 'off',
          HYBRIDGATE_PREFIX: `${dir}/dp${i}`,
          HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
          HYBRIDGATE_STATUS_LISTEN: 'off',
          HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
          HYBRIDGATE_CLUSTER_SERVER_NAME: SERVER_NAME,
          HYBRIDGATE_CLUSTER_RECONNECT_BASE: '0.05',
          HYBRIDGATE_CLUSTER_RECONNECT_CAP: '0.3',
          ...tlsEnv(m),
        }),
      ),
    );
    proxyPorts = dps.map((d) => d.addresses.proxy!.port);
    await adminCall(adminPort, 'POST', '/services', { name: 'echo', url: upstream.url });
    await adminCall(adminPort, 'POST', '/services/echo/routes', { name: 'echo', paths: ['/echo'] });
    for (const port of proxyPorts) {
      await pollUntil(
        async () => (await httpRequest(port, 'GET', '/echo')).status === 200,
        `DP on ${port} to proxy`,
      );
    }
  }, 60_000);

  const expiries = async () => {
    const body = await adminCall<{ data: { status: string; cert_details: { expiry_timestamp: number } }[] }>(
      adminPort,
      'GET',
      '/clustering/data-planes',
    );
    return body.data
      .filter((r) => r.status === 'connected')
      .map((r) => r.cert_details.expiry_timestamp)
      .sort();
  };

  it('replaces CA and node certificates under load without a failed request', async () => {
    expect(await expiries()).toEqual(v1.dps.map(expiryOf).sort());
    let stop = false;
    const failures: string[] = [];
    let sent = 0;
    // Bounded: at most 20 000 requests or until the rotation is seen through, whichever is first.
    const load = (async () => {
      while (!stop && sent < 20_000) {
        const port = proxyPorts[sent % proxyPorts.length]!;
        sent++;
        try {
          const res = await httpRequest(port, 'GET', '/echo', { timeoutMs: 5000 });
          if (res.status !== 200) failures.push(`${port}: ${res.status} ${res.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(`${port}: ${(err as Error).message}`);
        }
      }
    })();
    try {
      await pollUntil(() => sent > 20, 'the load loop to start');
      // The CP's Secret is updated first, the DPs' a moment later, as kubelets sync independently.
      cpMount.write(secret(v2, v2.cp));
      dpMounts.forEach((m, i) => m.write(secret(v2, v2.dps[i]!)));
      const want = v2.dps.map(expiryOf).sort();
      await pollUntil(
        async () => JSON.stringify(await expiries()) === JSON.stringify(want),
        'every DP to reconnect with its new certificate',
        { timeoutMs: 30_000 },
      );
      const after = sent;
      await pollUntil(() => sent > after + 20, 'more traffic after the rotation');
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(40);
  }, 60_000);
});
