/**
 * A control plane's Admin API certificate given as files follows them: the files are swapped the way
 * the kubelet updates a Secret volume (a new timestamped directory, then an atomic rename of the
 * `..data` symlink), and a new TLS connection sees the new certificate without a restart. A pair that
 * does not match keeps the previous certificate and the CP logs why.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { pollUntil } from './helpers/http.js';
import {
  controlPlaneEnv,
  removeWorkspaces,
  startHybridgate,
  Workspace,
  type CertFiles,
  type StartedNode,
} from './helpers/hybrid-cluster.js';
import { stopAllNodes } from './helpers/node-process.js';

let ws: Workspace;
let cluster: CertFiles;
let pairs: CertFiles[];
let mount: string;
let cp: StartedNode;
let generation = 0;

/** Writes `files` into a new `..<n>` directory of the mount and swaps `..data` to it atomically. */
function kubeletSwap(files: { cert: string; key: string }): void {
  const dir = `..${++generation}`;
  mkdirSync(join(mount, dir));
  writeFileSync(join(mount, dir, 'tls.crt'), files.cert);
  writeFileSync(join(mount, dir, 'tls.key'), files.key);
  symlinkSync(dir, join(mount, '..data_tmp'));
  renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
}

const pem = (f: CertFiles) => ({ cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') });
const fingerprint = (f: CertFiles) => new X509Certificate(readFileSync(f.cert)).fingerprint256;

/** The SHA-256 fingerprint of the certificate a new TLS connection to the Admin API gets. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

beforeAll(async () => {
  ws = new Workspace();
  const [clusterPair, ...adminPairs] = await Promise.all(
    ['cluster', 'a', 'b', 'c'].map((n) => ws.genCert(n)),
  );
  cluster = clusterPair!;
  pairs = adminPairs;
  mount = join(ws.root, 'admin-tls');
  mkdirSync(mount);
  kubeletSwap(pem(pairs[0]!));
  symlinkSync('..data/tls.crt', join(mount, 'tls.crt'));
  symlinkSync('..data/tls.key', join(mount, 'tls.key'));
  cp = await startHybridgate(
    'cp',
    controlPlaneEnv(ws, cluster, {
      extra: {
        HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0 ssl',
        HYBRIDGATE_ADMIN_SSL_CERT: join(mount, 'tls.crt'),
        HYBRIDGATE_ADMIN_SSL_CERT_KEY: join(mount, 'tls.key'),
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  await stopAllNodes();
  removeWorkspaces();
});

describe('admin certificate from files', () => {
  it('serves a renewed certificate to new connections without a restart', async () => {
    const port = cp.port('admin_ssl');
    const [a, b] = [pairs[0]!, pairs[1]!];
    expect(await servedFingerprint(port)).toBe(fingerprint(a));
    kubeletSwap(pem(b));
    await pollUntil(
      async () => (await servedFingerprint(port)) === fingerprint(b),
      'the renewed admin certificate on a new connection',
      { timeoutMs: 15_000 },
    );
    expect(cp.proc.linesWith('admin api certificate files reloaded')).toHaveLength(1);
  }, 30_000);

  it('keeps the previous certificate when the new pair does not match, and says why', async () => {
    const port = cp.port('admin_ssl');
    const [b, c] = [pairs[1]!, pairs[2]!];
    const from = cp.proc.lines.length;
    kubeletSwap({ cert: pem(c).cert, key: pem(b).key });
    const line = await cp.proc.waitForMsg(
      'admin api certificate files changed but cannot be used, keeping the previous ones',
      { fromIndex: from, timeoutMs: 15_000 },
    );
    expect(String(line.err)).toMatch(/key values mismatch/);
    expect(await servedFingerprint(port)).toBe(fingerprint(b));
    // A good pair afterwards is taken again.
    kubeletSwap(pem(c));
    await pollUntil(async () => (await servedFingerprint(port)) === fingerprint(c), 'certificate c', {
      timeoutMs: 15_000,
    });
  }, 30_000);
});
