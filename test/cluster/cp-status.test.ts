/**
 * A control plane process serves status_listen as Kong's non-DP nodes do (the operator probes it):
 * `/status`, `/status/ready` and `/metrics` with the CP's cluster metrics; and the conf's cluster
 * connection limits reach the cluster listener's guard (one connection per address here).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { clusterSuite } from './helpers/cluster-suite.js';
import { httpRequest, pollUntil } from './helpers/http.js';

const suite = clusterSuite({
  upstream: 'cp-status',
  cpExtra: {
    HYBRIDGATE_STATUS_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_CLUSTER_MAX_CONNECTIONS_PER_IP: '1',
  },
});
let statusPort: number;

beforeAll(() => {
  statusPort = suite.cp.port('status');
});

/** A raw TCP connection to the cluster port; resolves once connected. */
function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('control plane status API', () => {
  it('answers /status in Kong shape with a reachable database', async () => {
    const r = await httpRequest(statusPort, 'GET', '/status');
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as Record<string, Record<string, unknown>>;
    expect(body.database).toEqual({ reachable: true });
    expect(body.server?.total_requests).toEqual(expect.any(Number));
    expect(body.server?.connections_active).toBeGreaterThanOrEqual(1);
    expect(body.memory?.rss).toEqual(expect.any(Number));
    // Only nodes that proxy report a configuration hash.
    expect(body).not.toHaveProperty('configuration_hash');
  });

  it('is ready (store open, cluster listener bound)', async () => {
    const r = await httpRequest(statusPort, 'GET', '/status/ready');
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { message: 'ready' }]);
  });

  it('serves the CP registry on /metrics, refuses writes and unknown paths', async () => {
    const m = await httpRequest(statusPort, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.body).toContain('cluster_connections_refused');
    expect((await httpRequest(statusPort, 'POST', '/status')).status).toBe(405);
    expect((await httpRequest(statusPort, 'GET', '/services')).status).toBe(404);
  });
});

describe('cluster connection limits from the conf', () => {
  it('refuses a second connection from the same address (cluster_max_connections_per_ip = 1)', async () => {
    const cluster = suite.cp.port('cluster');
    const first = await rawConnect(cluster);
    let firstClosed = false;
    first.once('close', () => (firstClosed = true));
    try {
      const second = await rawConnect(cluster);
      // The guard destroys it in the 'connection' event, before any TLS byte.
      await new Promise<void>((resolve) => {
        second.once('close', () => resolve());
        second.on('error', () => undefined);
      });
      expect(firstClosed).toBe(false);
      await pollUntil(async () => {
        const m = await httpRequest(statusPort, 'GET', '/metrics');
        return /refused\w*\{reason="per_ip_limit"\} 1\b/.test(m.body);
      }, 'per_ip_limit refusal counted on /metrics');
    } finally {
      first.destroy();
    }
  });
});
