/**
 * Hybrid mode as processes: `hybridgate start` as a control plane and three data planes on loopback
 * over real mTLS, real upstreams in this process. Covers what the in-process suite cannot: the store,
 * Admin API, proxy and cache wired together, and processes that die and come back.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  cpConfigHash,
  dataPlaneRows,
  dpStatus,
  proxyGet,
  waitRowsInSync,
  waitServingEverywhere,
} from './helpers/cluster-state.js';
import { clusterSuite } from './helpers/cluster-suite.js';
import { controlPlaneEnv, startHybridgate, type StartedNode } from './helpers/hybrid-cluster.js';
import { HYBRIDGATE_VERSION } from '../../src/runtime/version.js';

/** Processes start in ~1 s each, several under a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 60_000;

const suite = clusterSuite({ upstream: 'alpha' });
let dps: StartedNode[];

beforeAll(async () => {
  dps = await Promise.all(['dp1', 'dp2', 'dp3'].map((n) => suite.startDataPlane(n)));
}, 60_000);

describe('a control plane and three data planes as processes', () => {
  it(
    'a route added on the CP serves on every DP, and /clustering/data-planes shows all three in sync',
    async () => {
      for (const dp of dps) await dp.proc.waitForMsg('connected to control plane');
      await suite.addRoute('alpha', '/alpha');
      await waitServingEverywhere(dps, '/alpha', 'alpha');

      const { rows, hash } = await waitRowsInSync(suite.cp, 3);
      expect(rows.map((r) => r.labels.node).sort()).toEqual(['dp1', 'dp2', 'dp3']);
      expect(new Set(rows.map((r) => r.id)).size).toBe(3);
      const now = Date.now() / 1000;
      for (const row of rows) {
        expect(row).toMatchObject({ ip: '127.0.0.1', hostname: hostname(), version: HYBRIDGATE_VERSION });
        expect(Math.abs(row.last_seen - now)).toBeLessThan(60);
        // gen_cert's default validity: about three years from now.
        expect(row.cert_details.expiry_timestamp! - now).toBeGreaterThan(1094 * 86_400);
        // cluster_data_plane_purge_delay's default: 14 days.
        expect(row.ttl).toBeGreaterThan(1_209_600 - 60);
      }
      // Each DP serves exactly what the CP exported, by its own account too.
      for (const dp of dps) expect((await dpStatus(dp)).configuration_hash).toBe(hash);
      for (const dp of dps) {
        const applied = dp.proc.linesWith('configuration applied').map((l) => l.config_hash);
        expect(applied).toContain(hash);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'CP killed: DPs serve on; restarted and newly provisioned DPs serve from cache; CP back: all converge',
    async () => {
      const admin = suite.cp.port('admin');
      const clusterPort = suite.cp.port('cluster');
      await suite.addRoute('beta', '/beta');
      await waitServingEverywhere(dps, '/beta', 'alpha');
      const { hash: before } = await waitRowsInSync(suite.cp, 3);

      const marks = dps.map((dp) => dp.proc.lines.length);
      await suite.cp.proc.stop('SIGKILL');
      await Promise.all(
        dps.map((dp, i) =>
          dp.proc.waitForMsg('lost connection to control plane, reconnecting', { fromIndex: marks[i] }),
        ),
      );
      // Zero failures with the CP gone: a bounded run of requests through every DP.
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++)
        statuses.push((await proxyGet(dps[i % 3]!, i % 2 ? '/alpha' : '/beta')).status);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);

      // A DP restarted while the CP is down starts from its cache and serves at once.
      await dps[1]!.proc.stop('SIGTERM');
      dps[1] = await startHybridgate('dp2 (restarted)', dps[1]!.env);
      const loaded = dps[1].proc.linesWith('configuration loaded');
      expect(loaded.map((l) => [l.source, l.config_hash])).toEqual([['cache', before]]);
      expect(dps[1].proc.linesWith('found persisted config cache, loading')).toHaveLength(1);
      expect((await proxyGet(dps[1], '/beta')).status).toBe(200);

      // A new DP provisioned during the outage from a copy of another DP's cache serves too.
      const cacheDir = join(suite.ws.prefix('dp4'), 'dbless.lmdb');
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      copyFileSync(join(suite.ws.prefix('dp1'), 'dbless.lmdb', 'data.mdb'), join(cacheDir, 'data.mdb'));
      // (suite.cp is down; the DP gets the port it will come back on.)
      const dp4 = await suite.startDataPlane('dp4', {}, 'dp4 (copied cache)');
      dps.push(dp4);
      expect(dp4.proc.linesWith('configuration loaded').map((l) => [l.source, l.config_hash])).toEqual([
        ['cache', before],
      ]);
      expect((await proxyGet(dp4, '/alpha')).status).toBe(200);
      expect((await dpStatus(dp4)).configuration_hash).toBe(before);

      // The CP returns on the same prefix and port: every DP rejoins on its own.
      const marks2 = dps.map((dp) => dp.proc.lines.length);
      suite.cp = await startHybridgate(
        'cp (restarted)',
        controlPlaneEnv(suite.ws, suite.certs, { adminPort: admin, clusterPort }),
      );
      await Promise.all(
        dps.map((dp, i) => dp.proc.waitForMsg(/^(re)?connected to control plane$/, { fromIndex: marks2[i] })),
      );
      // The store survived SIGKILL: the CP exports the same config the DPs run.
      expect(cpConfigHash(suite.cp)).toBe(before);
      await suite.addRoute('gamma', '/gamma');
      await waitServingEverywhere(dps, '/gamma', 'alpha');
      const { rows, hash: after } = await waitRowsInSync(suite.cp, 4);
      expect(after).not.toBe(before);
      for (const dp of dps) expect((await dpStatus(dp)).configuration_hash).toBe(after);
      // dp2 kept its node id across its restart: four DPs, four rows, none left behind.
      expect((await dataPlaneRows(suite.cp)).length).toBe(4);
      expect(rows).toHaveLength(4);
    },
    TEST_TIMEOUT_MS,
  );
});
