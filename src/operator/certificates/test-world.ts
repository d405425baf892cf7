import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane, DataPlane } from '../../api/v1alpha1/index.js';
import type { KubeSecret } from './secrets.js';

/** Test fixtures for the certificate planners: a ControlPlane, DataPlanes, and an in-memory Secret store. */

/** A ControlPlane as the apiserver would serve it. */
export function testControlPlane(
  certificates: Partial<ControlPlane['spec']['certificates']> = {},
  annotations?: Record<string, string>,
): ControlPlane {
  return {
    apiVersion: 'hybridgate.dev/v1alpha1',
    kind: 'ControlPlane',
    metadata: { name: 'edge', namespace: 'gw', uid: 'cp-uid', ...(annotations ? { annotations } : {}) },
    spec: {
      version: '0.1.0',
      certificates: {
        mode: 'pki',
        provider: 'operator',
        duration: '2160h',
        renewBefore: '360h',
        ...certificates,
      },
      replicas: 1,
      database: { type: 'lmdb', storage: '1Gi' },
      adminService: { type: 'ClusterIP' },
      clusterService: { type: 'ClusterIP', dnsNames: ['cp.example.com'] },
    },
  };
}

/** A DataPlane referencing the test ControlPlane. */
export function testDataPlane(name: string): DataPlane {
  return {
    apiVersion: 'hybridgate.dev/v1alpha1',
    kind: 'DataPlane',
    metadata: { name, namespace: 'gw', uid: `${name}-uid` },
    spec: {
      version: '0.1.0',
      replicas: 1,
      service: { type: 'ClusterIP', ports: [] },
      controlPlaneRef: { name: 'edge' },
    },
  };
}

/** Stores applied Secrets by name (what the apiserver would hold after the reconciler applied them). */
export function storeApplied(
  store: Map<string, KubeSecret | undefined>,
  apply: { kind?: string; metadata?: { name?: string } }[],
): void {
  for (const o of apply) if (o.kind === 'Secret') store.set(o.metadata!.name!, o as KubeSecret);
}

/** Runs `openssl verify` of `leafPem` against `caPem` for a purpose; returns its output (throws on failure). */
export function opensslVerify(
  caPem: string,
  leafPem: string,
  purpose: 'sslserver' | 'sslclient',
  atSeconds?: number,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'hg-verify-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const args = ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', purpose];
    if (atSeconds !== undefined) args.push('-attime', String(atSeconds));
    return execFileSync('openssl', [...args, join(dir, 'leaf.pem')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
