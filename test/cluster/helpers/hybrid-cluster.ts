import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExit, NodeProcess, type NodeAddress, type NodeExit } from './node-process.js';

/** A started `hybridgate start` process and the addresses its "node started" line reported. */
export interface StartedNode {
  readonly proc: NodeProcess;
  readonly addresses: Readonly<Record<string, NodeAddress>>;
  /** The environment it was started with (to restart it alike). */
  readonly env: Readonly<Record<string, string>>;
  /** The port of listener `name` (admin, cluster, proxy, status), or a clear error. */
  port(name: string): number;
}

/**
 * Spawns `hybridgate start` with `env` and waits for its "node started" line; rejects with the log
 * tail when it exits first or takes longer than `timeoutMs`.
 */
export async function startHybridgate(
  name: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<StartedNode> {
  const proc = new NodeProcess(name, ['start'], env);
  const line = await proc.waitForMsg('node started', { timeoutMs });
  const addresses = (line.addresses ?? {}) as Record<string, NodeAddress>;
  return {
    proc,
    addresses,
    env,
    port(listener) {
      const a = addresses[listener];
      if (!a)
        throw proc.failure(`has no ${listener} listener (it reported ${Object.keys(addresses).join(', ')})`);
      return a.port;
    },
  };
}

/** Runs a CLI command to its end; resolves with how it ended and the process (for its output). */
export async function runHybridgate(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<{ exit: NodeExit; proc: NodeProcess }> {
  const proc = new NodeProcess(name, args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { exit, proc };
}

/** A cluster certificate pair on disk. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** Every workspace made by this jest worker, removed by removeWorkspaces(). */
const workspaces = new Set<string>();

/**
 * A temp directory for one suite: node prefixes and certificates live under it, so one rmSync removes
 * everything a suite wrote.
 */
export class Workspace {
  readonly root: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'hg-multi-'));
    workspaces.add(this.root);
  }

  /** `<root>/<name>`: a node's prefix (created by the node itself). */
  prefix(name: string): string {
    return join(this.root, name);
  }

  /** Writes a fresh shared certificate pair with `hybridgate hybrid gen_cert` (as an operator would). */
  async genCert(name: string): Promise<CertFiles> {
    const files = { cert: join(this.root, `${name}.crt`), key: join(this.root, `${name}.key`) };
    const { exit, proc } = await runHybridgate(`gen_cert ${name}`, [
      'hybrid',
      'gen_cert',
      files.cert,
      files.key,
    ]);
    if (exit.code !== 0) throw proc.failure(`failed (${describeExit(exit)})`);
    return files;
  }

  /** Removes the directory. */
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
    workspaces.delete(this.root);
  }
}

/** Removes every workspace still present (afterAll). */
export function removeWorkspaces(): void {
  for (const root of workspaces) rmSync(root, { recursive: true, force: true });
  workspaces.clear();
}

/** Fast reconnects: the suite restarts control planes and must not wait out a production backoff. */
const FAST_RECONNECT = { HYBRIDGATE_CLUSTER_RECONNECT_BASE: '0.05', HYBRIDGATE_CLUSTER_RECONNECT_CAP: '0.5' };

/** The environment of a control plane on loopback with OS-chosen ports (or the given ones). */
export function controlPlaneEnv(
  ws: Workspace,
  certs: CertFiles,
  o: { name?: string; adminPort?: number; clusterPort?: number; extra?: Record<string, string> } = {},
): Record<string, string> {
  return {
    HYBRIDGATE_ROLE: 'control_plane',
    HYBRIDGATE_PREFIX: ws.prefix(o.name ?? 'cp'),
    HYBRIDGATE_ADMIN_LISTEN: `127.0.0.1:${o.adminPort ?? 0}`,
    HYBRIDGATE_CLUSTER_LISTEN: `127.0.0.1:${o.clusterPort ?? 0}`,
    HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
    HYBRIDGATE_CLUSTER_CERT: certs.cert,
    HYBRIDGATE_CLUSTER_CERT_KEY: certs.key,
    HYBRIDGATE_LOG_LEVEL: 'info',
    ...o.extra,
  };
}

/** The environment of a data plane on loopback (proxy and status on OS-chosen ports) for `cpPort`. */
export function dataPlaneEnv(
  ws: Workspace,
  name: string,
  certs: CertFiles,
  cpPort: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HYBRIDGATE_ROLE: 'data_plane',
    HYBRIDGATE_DATABASE: 'off',
    HYBRIDGATE_PREFIX: ws.prefix(name),
    HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_STATUS_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cpPort}`,
    HYBRIDGATE_CLUSTER_CERT: certs.cert,
    HYBRIDGATE_CLUSTER_CERT_KEY: certs.key,
    HYBRIDGATE_LOG_LEVEL: 'info',
    // Every DP runs as the same host from one IP: the label tells their rows apart.
    HYBRIDGATE_CLUSTER_DP_LABELS: `node:${name}`,
    ...FAST_RECONNECT,
    ...extra,
  };
}
