import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  startClusterListener,
  type ClusterListener,
} from '../../../src/runtime/control-plane/sync/cluster-listener.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
} from '../../../src/runtime/control-plane/status/data-plane-registry.js';
import { createCpClient, type CpClient } from '../../../src/runtime/data-plane/sync/cp-client.js';
import { systemClock } from '../../../src/runtime/protocol/clock.js';
import type { ClusterTlsPolicy } from '../../../src/runtime/protocol/tls-policy.js';
import { captureLogger, MemorySource, waitFor, type LogLine } from '../../cluster/helpers.js';

/** Reads a PEM file (helpers hand paths around; the policies take PEM). */
export const pem = (path: string): string => readFileSync(path, 'utf8');

/** An in-process control plane: the real cluster listener over loopback TLS with a policy. */
export interface TestCp {
  listener: ClusterListener;
  registry: DataPlaneRegistry;
  lines: LogLine[];
  port: number;
  close(): Promise<void>;
}

/** Starts the cluster listener on 127.0.0.1:0 with `tls`. */
export async function startTestCp(
  tls: ClusterTlsPolicy,
  o: { revalidateGraceMs?: number } = {},
): Promise<TestCp> {
  const { logger, lines } = captureLogger('control-plane');
  const registry = createDataPlaneRegistry({ purgeDelaySeconds: 3600, clock: systemClock });
  await registry.start();
  const listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls,
    source: new MemorySource({ _format_version: '3.0' }),
    dataPlanes: registry,
    logger,
    cpPlugins: new Map(),
    maxPayload: 4 * 1024 * 1024,
    revalidateGraceMs: o.revalidateGraceMs,
  });
  return {
    listener,
    registry,
    lines,
    port: listener.addresses[0]!.port,
    async close() {
      await listener.close();
      registry.stop();
    },
  };
}

/** A DP link under test and its log. */
export interface TestDp {
  id: string;
  client: CpClient;
  lines: LogLine[];
  stop(): Promise<void>;
}

/** Starts a DP link (the real cp-client) to `port` with `tls`. */
export function startTestDp(
  port: number,
  tls: ClusterTlsPolicy,
  o: { host?: string; reconnectMs?: number } = {},
): TestDp {
  const { logger, lines } = captureLogger('data-plane');
  const id = randomUUID();
  const client = createCpClient({
    endpoints: [{ host: o.host ?? '127.0.0.1', port }],
    tls,
    nodeId: id,
    hostname: `dp-${id.slice(0, 4)}`,
    version: '0.1.0',
    basicInfo: () => ({ type: 'basic_info', plugins: [], labels: {}, process_conf: {} }),
    maxPayload: 4 * 1024 * 1024,
    pingIntervalMs: 30_000,
    reconnectBaseMs: o.reconnectMs ?? 60_000,
    reconnectCapMs: o.reconnectMs ?? 60_000,
    clock: systemClock,
    logger,
    currentHash: () => '0'.repeat(32),
    onFrame: () => undefined,
    random: () => 0.5,
  });
  client.start();
  return { id, client, lines, stop: () => client.stop() };
}

/** The outcome of one DP's first attempt: connected and registered, or refused with a side's reason. */
export type Attempt = { ok: true } | { ok: false; reason: string };

/**
 * Connects one DP and reports its first attempt: `ok` once the CP lists it as connected; otherwise the
 * reason logged by the side expected to refuse (`cp`: "incorrect client certificate"; `dp`: "unable to
 * connect"). The DP is stopped before returning.
 */
export async function attempt(
  cp: TestCp,
  tls: ClusterTlsPolicy,
  o: { host?: string; refusedBy?: 'cp' | 'dp' } = {},
): Promise<Attempt> {
  const dp = startTestDp(cp.port, tls, { host: o.host });
  try {
    const outcome = await waitFor(() => {
      if (cp.registry.get(dp.id)?.status === 'connected') return 'ok';
      return dp.lines.some((l) => /unable to connect to control plane/.test(l.msg)) ? 'refused' : null;
    }, 'the DP to connect or be refused');
    if (outcome === 'ok') return { ok: true };
    if (o.refusedBy === 'cp') {
      // The CP logs after its checks (OCSP may still be running when the DP sees the close).
      const line = await waitFor(
        () => cp.lines.find((l) => /incorrect client certificate/.test(l.msg)),
        'the control plane to log its refusal',
      );
      return { ok: false, reason: String(line!.reason) };
    }
    const line = dp.lines.find((l) => /unable to connect to control plane/.test(l.msg));
    return { ok: false, reason: String(line?.reason) };
  } finally {
    await dp.stop();
    cp.lines.splice(0);
  }
}
