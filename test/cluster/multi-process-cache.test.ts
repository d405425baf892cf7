/**
 * The DP cache and the payload limit with real processes: a corrupt cache and a cache of another
 * version are survived (warning, fall-through, then sync from the CP), and a configuration above
 * cluster_max_payload is refused by the CP with a line naming limit and size while DPs keep theirs.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpConfigHash,
  dpStatus,
  proxyGet,
  waitRowsInSync,
  waitServingEverywhere,
} from './helpers/cluster-state.js';
import { clusterSuite } from './helpers/cluster-suite.js';
import { adminCall, pollUntil } from './helpers/http.js';
import { startHybridgate, type StartedNode } from './helpers/hybrid-cluster.js';

/** Processes start in ~1 s each, several under a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 60_000;

/** The smallest cluster_max_payload the conf accepts (Kong's too): 4 MiB. */
const MAX_PAYLOAD = 4_194_304;

const suite = clusterSuite({
  upstream: 'cached',
  cpExtra: { HYBRIDGATE_CLUSTER_MAX_PAYLOAD: String(MAX_PAYLOAD) },
});

beforeAll(() => suite.addRoute('cached', '/cached'));

/** Starts DP `name`, waits until it serves /cached, stops it: its prefix now holds a real cache. */
async function primeCache(name: string, extra: Record<string, string> = {}): Promise<StartedNode> {
  const dp = await suite.startDataPlane(name, extra);
  await waitServingEverywhere([dp], '/cached', 'cached');
  expect(existsSync(join(suite.ws.prefix(name), 'dbless.lmdb', 'data.mdb'))).toBe(true);
  await dp.proc.stop();
  return dp;
}

describe('the DP cache across restarts, and the payload limit', () => {
  it(
    'a corrupt cache is moved aside with a warning; the DP starts empty, then syncs from the CP',
    async () => {
      await primeCache('dp-corrupt');
      const dataFile = join(suite.ws.prefix('dp-corrupt'), 'dbless.lmdb', 'data.mdb');
      writeFileSync(dataFile, randomBytes(statSync(dataFile).size));

      const dp = await suite.startDataPlane('dp-corrupt', {}, 'dp-corrupt (garbage cache)');
      const warning = dp.proc.linesWith('config cache is unreadable, starting a new one');
      expect(warning).toHaveLength(1);
      expect(warning[0]!.level).toBe(40);
      expect(String(warning[0]!.moved_to)).toContain('dbless.lmdb.corrupt-');
      expect(
        readdirSync(suite.ws.prefix('dp-corrupt')).filter((f) => f.startsWith('dbless.lmdb.corrupt-')),
      ).toHaveLength(1);
      expect(
        dp.proc.linesWith('no cached or declarative configuration, starting with an empty one'),
      ).toHaveLength(1);
      expect(dp.proc.linesWith('configuration loaded')).toEqual([]);

      await waitServingEverywhere([dp], '/cached', 'cached');
      expect((await dpStatus(dp)).configuration_hash).toBe(cpConfigHash(suite.cp));
      // The fresh cache works: the next start loads it.
      await dp.proc.stop();
      const again = await startHybridgate('dp-corrupt (new cache)', dp.env);
      expect(again.proc.linesWith('configuration loaded').map((l) => l.source)).toEqual(['cache']);
      await again.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a cache tagged by another version is discarded with a warning; declarative_config then the CP take over',
    async () => {
      // Written by a DP reporting 0.0.x (an older minor the CP accepts): its cache carries tag 0.0.
      await primeCache('dp-tagged', { HYBRIDGATE_TEST_REPORTED_VERSION: '0.0.7' });
      // The CP accepted the older minor with Kong's note.
      expect(
        suite.cp.proc.linesWith('data plane minor version 0 is different to control plane minor version 1'),
      ).not.toEqual([]);
      const declarative = join(suite.ws.root, 'fallback.yaml');
      writeFileSync(
        declarative,
        [
          '_format_version: "3.0"',
          'services:',
          `  - name: fallback`,
          `    url: ${suite.upstream.url}`,
          '    routes:',
          '      - name: fallback',
          '        paths: [/fallback]',
          '',
        ].join('\n'),
      );

      const dp = await suite.startDataPlane(
        'dp-tagged',
        {
          HYBRIDGATE_DECLARATIVE_CONFIG: declarative,
        },
        'dp-tagged (current version)',
      );
      const mismatch = dp.proc.linesWith('config cache validation tag mismatch, discarding it');
      expect(mismatch).toHaveLength(1);
      expect(mismatch[0]).toMatchObject({ level: 40, cache_tag: '0.0', runtime_tag: '0.1' });
      expect(dp.proc.linesWith('configuration loaded').map((l) => l.source)).toEqual(['declarative_config']);

      await waitServingEverywhere([dp], '/cached', 'cached');
      expect((await dpStatus(dp)).configuration_hash).toBe(cpConfigHash(suite.cp));
      // The CP's config replaced the declarative one.
      expect((await proxyGet(dp, '/fallback')).status).toBe(404);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a config above cluster_max_payload, naming limit and size; DPs keep theirs and follow the next change',
    async () => {
      const dps = await Promise.all(['dp-p1', 'dp-p2'].map((n) => suite.startDataPlane(n)));
      const { hash: before } = await waitRowsInSync(suite.cp, 2);

      // ~6.6 MB of random base64url in tags: gzip cannot bring it under 4 MiB.
      const tags = Array.from({ length: 100 }, () => randomBytes(49_500).toString('base64url'));
      const mark = suite.cp.proc.lines.length;
      const big = await adminCall<{ id: string }>(suite.cp.port('admin'), 'POST', '/services', {
        name: 'huge',
        url: suite.upstream.url,
        tags,
      });
      // The DPs speak protocol v2: the change is one entity that no frame can carry, so the CP's delta
      // hub refuses it (a v1 DP would get the whole-config refusal, see test/cluster/in-process.test.ts).
      const refused = await suite.cp.proc.waitForMsg(/^unable to .* for data planes \(protocol v2\)$/, {
        fromIndex: mark,
        timeoutMs: 30_000,
      });
      expect(refused.level).toBe(50);
      expect(refused.limit).toBeLessThanOrEqual(MAX_PAYLOAD);
      expect(refused.size).toBeGreaterThan(refused.limit as number);
      expect(refused.err).toBe(
        `services entity ${big.id} alone is ${String(refused.size)} bytes, more than cluster_max_payload (${String(refused.limit)} bytes)`,
      );
      // The CP moved on to the unsendable version; every DP keeps serving the one before.
      expect(cpConfigHash(suite.cp)).not.toBe(before);
      for (const dp of dps) expect((await dpStatus(dp)).configuration_hash).toBe(before);
      await waitServingEverywhere(dps, '/cached', 'cached');

      // Back under the limit, pushes resume.
      await adminCall(suite.cp.port('admin'), 'DELETE', `/services/${big.id}`);
      await adminCall(suite.cp.port('admin'), 'POST', '/services/cached/routes', {
        name: 'later',
        paths: ['/later'],
      });
      await waitServingEverywhere(dps, '/later', 'cached');
      const { hash: after } = await pollUntil(async () => {
        const r = await waitRowsInSync(suite.cp, 2);
        return r.hash !== before ? r : null;
      }, 'rows on the new hash');
      for (const dp of dps) expect((await dpStatus(dp)).configuration_hash).toBe(after);
    },
    TEST_TIMEOUT_MS,
  );
});
