/**
 * The PostgreSQL server stopped and started again under a request loop through the data planes, with
 * two control planes on it: no proxied request fails, Admin API writes answer 503 with a clear body
 * while it is down, a data plane started during the outage (no cache) still gets the configuration
 * from a CP (the CP's last snapshot), and writes work again once it is back, with nothing restarted.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { adminCall, httpRequest, pollUntil } from '../cluster/helpers/http.js';
import { cpConfigHash, dataPlaneRows, dpStatus } from '../cluster/helpers/cluster-state.js';
import type { StartedNode } from '../cluster/helpers/hybrid-cluster.js';
import { msUntilServed, pgClusterSuite, startLoadLoop } from './pg-cluster.js';

const TEST_TIMEOUT_MS = 90_000;

const suite = pgClusterSuite({ upstream: 'outage' });
let cpA: StartedNode;
let cpB: StartedNode;
let dps: StartedNode[];

beforeAll(async () => {
  [cpA, cpB] = await Promise.all([suite.startControlPlane('cp-a'), suite.startControlPlane('cp-b')]);
  dps = await Promise.all([
    suite.startDataPlane('dp-1', [cpA, cpB]),
    suite.startDataPlane('dp-2', [cpB, cpA]),
  ]);
  const admin = cpA.port('admin');
  await adminCall(admin, 'POST', '/services', { name: 'before', url: suite.upstream.url });
  await adminCall(admin, 'POST', '/services/before/routes', { name: 'before', paths: ['/before'] });
  await Promise.all(dps.map((dp) => msUntilServed(dp, '/before')));
}, 60_000);

describe('a database outage under load', () => {
  it(
    'no failed proxied request; 503 writes; a new DP gets the config; writes work again after recovery',
    async () => {
      const hashBefore = await pollUntil(() => {
        const a = cpConfigHash(cpA);
        return a !== null && a === cpConfigHash(cpB) ? a : null;
      }, 'both CPs to export the same hash');
      const serving = [...dps];
      const load = startLoadLoop(() => serving, ['/before']);

      await suite.pg.stop();
      for (const cp of [cpA, cpB]) {
        const write = await httpRequest(cp.port('admin'), 'POST', '/services', {
          body: { name: 'during', url: suite.upstream.url },
        });
        expect(write.status).toBe(503);
        expect(JSON.parse(write.body)).toMatchObject({
          code: 8,
          name: 'database error',
          message: expect.stringMatching(/^the database is unavailable \(/),
        });
        const status = JSON.parse((await httpRequest(cp.port('admin'), 'GET', '/status')).body);
        expect(status.database.reachable).toBe(false);
      }

      // A DP provisioned during the outage, without any cache: a CP serves it its last snapshot.
      const fresh = await suite.startDataPlane('dp-new', [cpA, cpB]);
      await msUntilServed(fresh, '/before');
      // Into the loop only once it serves: before its first config a DP answers 404, by design.
      serving.push(fresh);
      expect((await dpStatus(fresh)).configuration_hash).toBe(hashBefore);
      expect(fresh.proc.linesWith('configuration loaded').map((l) => l.source)).not.toContain('cache');

      await suite.pg.start();
      // Writes work again on both CPs on their own: no node was restarted.
      const after = await pollUntil(
        async () => {
          const r = await httpRequest(cpB.port('admin'), 'POST', '/services', {
            body: { name: 'after', url: suite.upstream.url },
          });
          return r.status === 201 ? r : null;
        },
        'a write on CP B to succeed after the database returned',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      expect(after.status).toBe(201);
      await adminCall(cpA.port('admin'), 'POST', '/services/after/routes', {
        name: 'after',
        paths: ['/after'],
      });
      await Promise.all(serving.map((dp) => msUntilServed(dp, '/after')));

      const { total, failures } = await load.stop();
      process.stderr.write(`database outage: ${total} proxied requests, ${failures.length} failed\n`);
      expect(failures).toEqual([]);
      expect(total).toBeGreaterThan(50);

      // The new DP shows up on both CPs once the rows can be written and read again.
      for (const cp of [cpA, cpB]) {
        await pollUntil(
          async () =>
            (await dataPlaneRows(cp))
              .filter((r) => r.status === 'connected')
              .map((r) => r.labels.node)
              .sort()
              .join() === 'dp-1,dp-2,dp-new',
          `${cp.proc.name} to list the three DPs`,
          { timeoutMs: 15_000 },
        );
      }
    },
    TEST_TIMEOUT_MS,
  );
});
