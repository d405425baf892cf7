/**
 * A control plane on PostgreSQL reports its database through status_listen: `/status/ready` answers
 * 503 with Kong's "failed to connect to database" while the server is stopped (a readiness probe takes
 * the pod out of its Service) and 200 again once it is back, with nothing restarted; `/status` stays
 * 200 throughout (liveness must not restart a CP over a database outage).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { httpRequest, pollUntil } from '../cluster/helpers/http.js';
import { controlPlaneEnv, startHybridgate, type StartedNode } from '../cluster/helpers/hybrid-cluster.js';
import { pgClusterSuite } from './pg-cluster.js';

const suite = pgClusterSuite({ upstream: 'cp-status-pg' });
let cp: StartedNode;

beforeAll(async () => {
  cp = await startHybridgate(
    'cp',
    controlPlaneEnv(suite.ws, suite.certs, {
      extra: { ...suite.pgEnv(), HYBRIDGATE_STATUS_LISTEN: '127.0.0.1:0' },
    }),
  );
}, 60_000);

/** GET `path` on the CP's status listener: status and parsed body. */
async function statusGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await httpRequest(cp.port('status'), 'GET', path);
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

describe('control plane readiness follows PostgreSQL', () => {
  it('503 while the database is stopped, 200 again after it is back', async () => {
    expect(await statusGet('/status/ready')).toEqual({ status: 200, body: { message: 'ready' } });
    expect((await statusGet('/status')).body.database).toEqual({ reachable: true });

    await suite.pg.stop();
    const down = await statusGet('/status/ready');
    expect(down).toEqual({ status: 503, body: { message: 'failed to connect to database' } });
    const live = await statusGet('/status');
    expect(live.status).toBe(200);
    expect(live.body.database).toEqual({ reachable: false });

    await suite.pg.start();
    await pollUntil(
      async () => (await statusGet('/status/ready')).status === 200,
      'ready again after the database restarted',
      { timeoutMs: 20_000 },
    );
    expect((await statusGet('/status')).body.database).toEqual({ reachable: true });
  }, 60_000);
});
