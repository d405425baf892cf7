/**
 * PKI mode as processes (`node bin/hybridgate.js start`): a control plane and a data plane with
 * openssl-made certificates (the seeds' example chain: "Hybrid Root CA", an intermediate, a CP
 * certificate for control-plane.kong.yourcorp.tld with an alternate SAN, a DP certificate with an
 * arbitrary CN) sync and proxy; a DP from another root is refused with the reason in the CP's log; an
 * intermediate as cluster_ca_cert stops the CP at startup with a message saying so.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { certificateExpiry } from '../../src/runtime/pki/cert-inspect.js';
import { adminCall, httpRequest, pollUntil, startUpstream, type Upstream } from '../cluster/helpers/http.js';
import {
  removeWorkspaces,
  runHybridgate,
  startHybridgate,
  Workspace,
  type StartedNode,
} from '../cluster/helpers/hybrid-cluster.js';
import { stopAllNodes } from '../cluster/helpers/node-process.js';
import { OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { pem } from './helpers/pki-cluster.js';

const SERVER_NAME = 'control-plane.kong.yourcorp.tld';
const TIMEOUT = 60_000;
let ws: Workspace;
let root: OpensslCa;
let inter: OpensslCa;
let cpCert: IssuedCert;
let upstream: Upstream;
let cp: StartedNode;

const cpEnv = (caCert: string, name = 'cp'): Record<string, string> => ({
  HYBRIDGATE_ROLE: 'control_plane',
  HYBRIDGATE_PREFIX: ws.prefix(name),
  HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0',
  HYBRIDGATE_CLUSTER_LISTEN: '127.0.0.1:0',
  HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
  HYBRIDGATE_CLUSTER_MTLS: 'pki',
  HYBRIDGATE_CLUSTER_CERT: cpCert.chain,
  HYBRIDGATE_CLUSTER_CERT_KEY: cpCert.key,
  HYBRIDGATE_CLUSTER_CA_CERT: caCert,
  HYBRIDGATE_LOG_LEVEL: 'info',
});

const dpEnv = (name: string, cert: IssuedCert, serverName: string): Record<string, string> => ({
  HYBRIDGATE_ROLE: 'data_plane',
  HYBRIDGATE_DATABASE: 'off',
  HYBRIDGATE_PREFIX: ws.prefix(name),
  HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
  HYBRIDGATE_STATUS_LISTEN: 'off',
  HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cp.port('cluster')}`,
  HYBRIDGATE_CLUSTER_MTLS: 'pki',
  HYBRIDGATE_CLUSTER_CERT: cert.chain,
  HYBRIDGATE_CLUSTER_CERT_KEY: cert.key,
  HYBRIDGATE_CLUSTER_CA_CERT: root.cert,
  HYBRIDGATE_CLUSTER_SERVER_NAME: serverName,
  HYBRIDGATE_CLUSTER_RECONNECT_BASE: '0.05',
  HYBRIDGATE_CLUSTER_RECONNECT_CAP: '0.5',
  HYBRIDGATE_LOG_LEVEL: 'info',
});

beforeAll(async () => {
  ws = new Workspace();
  root = OpensslCa.root(ws.root, 'root', 'Hybrid Root CA');
  inter = root.intermediate(ws.root, 'intermediate');
  cpCert = inter.issue(ws.root, 'cp', {
    cn: SERVER_NAME,
    eku: ['serverAuth'],
    dns: [SERVER_NAME, 'alt.kong.yourcorp.tld'],
  });
  upstream = await startUpstream('pki-upstream');
  cp = await startHybridgate('cp', cpEnv(root.cert));
}, TIMEOUT);
afterAll(async () => {
  await stopAllNodes();
  await upstream?.close();
  removeWorkspaces();
});

describe('PKI mode as processes', () => {
  it(
    'a DP with an arbitrary CN syncs and proxies; the CP records its certificate expiry',
    async () => {
      const dpCert = inter.issue(ws.root, 'dp', { cn: 'some-arbitrary-dp-name', eku: ['clientAuth'] });
      const dp = await startHybridgate('dp', dpEnv('dp', dpCert, 'alt.kong.yourcorp.tld'));
      await dp.proc.waitForMsg('connected to control plane');
      const admin = cp.port('admin');
      await adminCall(admin, 'POST', '/services', { name: 'pki', url: upstream.url });
      await adminCall(admin, 'POST', '/services/pki/routes', { name: 'pki', paths: ['/pki'] });
      await pollUntil(
        async () => (await httpRequest(dp.port('proxy'), 'GET', '/pki')).status === 200,
        'the DP to proxy /pki',
      );
      const rows = await adminCall<{
        data: { hostname: string; cert_details: { expiry_timestamp: number } }[];
      }>(admin, 'GET', '/clustering/data-planes');
      expect(rows.data).toHaveLength(1);
      expect(rows.data[0]!.cert_details.expiry_timestamp).toBe(
        certificateExpiry(new X509Certificate(pem(dpCert.cert))),
      );
    },
    TIMEOUT,
  );

  it(
    'a DP certificate from another root is refused with the reason; a wrong server name is refused by the DP',
    async () => {
      const other = OpensslCa.root(ws.root, 'other', 'Other Root');
      const foreign = other.issue(ws.root, 'foreign', { cn: 'intruder', eku: ['clientAuth'] });
      const dp = await startHybridgate('dp-foreign', dpEnv('dp-foreign', foreign, SERVER_NAME));
      const line = await cp.proc.waitForMsg(
        'data plane presented incorrect client certificate during handshake',
      );
      expect(String(line.reason)).toMatch(/not issued by cluster_ca_cert .*Other Root/);
      await dp.proc.stop();
      const okCert = inter.issue(ws.root, 'dp-name', { cn: 'dp-name', eku: ['clientAuth'] });
      const misnamed = await startHybridgate(
        'dp-misnamed',
        dpEnv('dp-misnamed', okCert, 'wrong.kong.yourcorp.tld'),
      );
      const refusal = await misnamed.proc.waitForMsg(
        'unable to connect to control plane, retrying with backoff',
      );
      expect(String(refusal.reason)).toContain('does not match server name "wrong.kong.yourcorp.tld"');
    },
    TIMEOUT,
  );

  it(
    'an intermediate as cluster_ca_cert stops the CP at startup, saying so',
    async () => {
      const { exit, proc } = await runHybridgate('cp-bad-ca', ['start'], cpEnv(inter.cert, 'cp-bad-ca'));
      expect(exit.code).not.toBe(0);
      expect(proc.tail(50)).toMatch(
        /cluster_ca_cert certificate 1 \(CN=intermediate\) is an intermediate CA issued by CN=Hybrid Root CA/,
      );
    },
    TIMEOUT,
  );
});
