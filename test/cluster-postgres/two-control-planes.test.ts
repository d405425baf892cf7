/**
 * Two control planes on one PostgreSQL database, as processes, with data planes spread over them (each
 * DP knows both CP addresses, its own CP first): a write on either CP reaches every DP, every CP lists
 * every DP, and a CP killed outright leaves its DPs to reconnect to the other one while they keep
 * serving.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { adminCall } from '../cluster/helpers/http.js';
import { cpConfigHash, dataPlaneRows, dpStatus, waitRowsInSync } from '../cluster/helpers/cluster-state.js';
import type { StartedNode } from '../cluster/helpers/hybrid-cluster.js';
import { pollUntil } from '../cluster/helpers/http.js';
import { msUntilServed, pgClusterSuite, startLoadLoop } from './pg-cluster.js';

/** Processes start in about a second each, several at once on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 60_000;
/** The propagation goal of a single CP (a few hundred ms), with headroom for a shared 2-core machine. */
const PROPAGATION_LIMIT_MS = 1000;

const suite = pgClusterSuite({ upstream: 'shared-db' });
let cpA: StartedNode;
let cpB: StartedNode;
let dps: StartedNode[];

beforeAll(async () => {
  [cpA, cpB] = await Promise.all([suite.startControlPlane('cp-a'), suite.startControlPlane('cp-b')]);
  // dp-a1 and dp-a2 prefer CP A, dp-b1 prefers CP B.
  dps = await Promise.all([
    suite.startDataPlane('dp-a1', [cpA, cpB]),
    suite.startDataPlane('dp-a2', [cpA, cpB]),
    suite.startDataPlane('dp-b1', [cpB, cpA]),
  ]);
  await Promise.all(dps.map((dp) => dp.proc.waitForMsg('connected to control plane')));
}, 60_000);

/** Adds a service on the suite's upstream and a route on `path` through `cp`'s Admin API. */
async function addRoute(cp: StartedNode, name: string, path: string): Promise<void> {
  await adminCall(cp.port('admin'), 'POST', '/services', { name, url: suite.upstream.url });
  await adminCall(cp.port('admin'), 'POST', `/services/${name}/routes`, { name, paths: [path] });
}

const hostnamesOf = (rows: { labels: Record<string, string>; status: string }[]) =>
  rows
    .filter((r) => r.status === 'connected')
    .map((r) => r.labels.node)
    .sort();

describe('two control planes sharing one PostgreSQL database', () => {
  it(
    'a write on CP A reaches the DP on CP B within the propagation goal; both CPs list all three DPs',
    async () => {
      const dpOnB = dps[2]!;
      expect(dpOnB.proc.linesWith('connected to control plane')[0]?.control_plane).toBe(
        `127.0.0.1:${cpB.port('cluster')}`,
      );
      await addRoute(cpA, 'first', '/first');
      const ms = await msUntilServed(dpOnB, '/first');
      process.stderr.write(`write on CP A served by a DP on CP B after ${ms.toFixed(0)} ms\n`);
      expect(ms).toBeLessThan(PROPAGATION_LIMIT_MS);
      await Promise.all(dps.map((dp) => msUntilServed(dp, '/first')));

      for (const cp of [cpA, cpB]) {
        await pollUntil(
          async () => hostnamesOf(await dataPlaneRows(cp)).join() === 'dp-a1,dp-a2,dp-b1',
          `${cp.proc.name} to list all three DPs as connected`,
          { timeoutMs: 10_000 },
        );
      }
      // Both CPs export the same configuration from the one database.
      await pollUntil(
        () => cpConfigHash(cpA) !== null && cpConfigHash(cpA) === cpConfigHash(cpB),
        'both CPs to export the same hash',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'CP A killed: its DPs reconnect to CP B, keep serving throughout, and converge on the latest hash',
    async () => {
      await addRoute(cpB, 'second', '/second');
      await Promise.all(dps.map((dp) => msUntilServed(dp, '/second')));
      const load = startLoadLoop(() => dps, ['/first', '/second']);
      const marks = dps.map((dp) => dp.proc.lines.length);

      await cpA.proc.stop('SIGKILL');
      const bAddress = `127.0.0.1:${cpB.port('cluster')}`;
      await Promise.all(
        dps
          .slice(0, 2)
          .map((dp, i) =>
            dp.proc.waitForLine(
              (l) => l.msg === 'reconnected to control plane' && l.control_plane === bAddress,
              'reconnected to CP B',
              { fromIndex: marks[i], timeoutMs: 15_000 },
            ),
          ),
      );
      // A change after the failover reaches every DP through CP B.
      await addRoute(cpB, 'third', '/third');
      await Promise.all(dps.map((dp) => msUntilServed(dp, '/third')));
      await pollUntil(() => load.count() >= 200, 'at least 200 requests through the DPs', {
        timeoutMs: 20_000,
      });
      const { total, failures } = await load.stop();
      process.stderr.write(`failover: ${total} proxied requests, ${failures.length} failed\n`);
      expect(failures).toEqual([]);

      const { rows, hash } = await waitRowsInSync(cpB, 3);
      expect(rows.map((r) => r.labels.node).sort()).toEqual(['dp-a1', 'dp-a2', 'dp-b1']);
      for (const dp of dps) expect((await dpStatus(dp)).configuration_hash).toBe(hash);
    },
    TEST_TIMEOUT_MS,
  );
});
