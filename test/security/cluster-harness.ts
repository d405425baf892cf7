import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import {
  startClusterListener,
  type ClusterListener,
  type ClusterListenerOptions,
} from '../../src/runtime/control-plane/sync/cluster-listener.js';
import { createClusterMetrics } from '../../src/runtime/control-plane/status/cluster-metrics.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
} from '../../src/runtime/control-plane/status/data-plane-registry.js';
import { systemClock } from '../../src/runtime/protocol/clock.js';
import { encodeJsonFrame } from '../../src/runtime/protocol/messages.js';
import type { ClusterTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { captureLogger, MemorySource, type LogLine } from '../cluster/helpers.js';

/** A CP cluster listener in process with its registry, metrics and captured log. */
export interface TestClusterCp {
  listener: ClusterListener;
  registry: DataPlaneRegistry;
  metrics: Registry;
  source: MemorySource;
  lines: LogLine[];
  port: number;
  /** The value of the refused-connections counter for `reason`. */
  refused(reason: string): Promise<number>;
  close(): Promise<void>;
}

/** A config with one service, distinct per `n`. */
export const configOf = (n: number): Record<string, unknown> => ({
  _format_version: '3.0',
  services: [
    { id: `0000000${n}-0000-4000-8000-000000000000`, name: `svc-${n}`, host: 'localhost', port: 80 },
  ],
});

/** Starts a cluster listener on 127.0.0.1:0 (DPs may dial from any 127/8 source) with `extra` options. */
export async function startTestClusterCp(
  tls: ClusterTlsPolicy,
  extra: Partial<ClusterListenerOptions> = {},
): Promise<TestClusterCp> {
  const { logger, lines } = captureLogger('control-plane');
  const registry = createDataPlaneRegistry({ purgeDelaySeconds: 3600, clock: systemClock });
  await registry.start();
  const metrics = new Registry();
  const source = new MemorySource(configOf(1));
  const listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls,
    source,
    dataPlanes: registry,
    metrics: createClusterMetrics(metrics, registry),
    logger,
    cpPlugins: new Map(),
    maxPayload: 4 * 1024 * 1024,
    pingIntervalSeconds: 30,
    clock: systemClock,
    ...extra,
  });
  return {
    listener,
    registry,
    metrics,
    source,
    lines,
    port: listener.addresses[0]!.port,
    async refused(reason) {
      const m = await metrics.getSingleMetric('kong_control_plane_cluster_connections_refused_total')!.get();
      return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    },
    async close() {
      await listener.close();
      registry.stop();
    },
  };
}

/** How a test DP dials: its client certificate and the loopback address it connects from. */
export interface DialOptions {
  cert?: string;
  key?: string;
  localAddress?: string;
  id?: string;
}

/** Opens /v1/outlet as a DP would (no basic_info yet); rejects when the CP refuses the connection. */
export function dialOutlet(port: number, o: DialOptions): Promise<{ ws: WebSocket; id: string }> {
  const id = o.id ?? randomUUID();
  const ws = new WebSocket(
    `wss://127.0.0.1:${port}/v1/outlet?node_id=${id}&node_version=0.1.0&node_hostname=sec-test`,
    {
      ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      rejectUnauthorized: false,
      perMessageDeflate: false,
    },
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, id }));
    ws.once('error', reject);
  });
}

/** A well-behaved DP: basic_info, then a heartbeat with every config hash it receives. */
export async function legitDataPlane(
  port: number,
  o: DialOptions,
): Promise<{ ws: WebSocket; id: string; hashes: string[] }> {
  const { ws, id } = await dialOutlet(port, o);
  const hashes: string[] = [];
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(gunzipSync(data).toString('utf8')) as { config_hash: string };
    hashes.push(msg.config_hash);
    ws.ping(Buffer.from(msg.config_hash));
  });
  ws.send(encodeJsonFrame({ type: 'basic_info', plugins: [] }), { binary: true });
  return { ws, id, hashes };
}

/** Resolves with the close code (or null at the deadline). */
export function closeOf(ws: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string } | null> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** A raw TCP connection that never sends a byte (a flood socket); `closed` resolves when the CP drops it. */
export function idleSocket(
  port: number,
  localAddress = '127.0.0.1',
): Promise<{ sock: Socket; closed: Promise<void>; received: () => number }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const sock = connect({ host: '127.0.0.1', port, localAddress });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('data', (d: Buffer) => (received += d.length));
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve({ sock, closed, received: () => received }));
    sock.once('error', reject);
  });
}
