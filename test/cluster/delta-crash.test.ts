/**
 * Protocol v2 and the DP cache with real processes: a DP whose cache was written by deltas, killed
 * with SIGKILL right after the CP saw it acknowledge a delta, restarts with the CP gone and serves
 * exactly the acknowledged config from its cache (same hash, the routes the deltas added, not the one
 * they deleted).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/shared/logger.js';
import { configHashes } from '../../src/runtime/config/hash.js';
import { openConfigCache } from '../../src/runtime/data-plane/cache/config-cache.js';
import { cpConfigHash, dpStatus, proxyGet, rowOf } from './helpers/cluster-state.js';
import { clusterSuite } from './helpers/cluster-suite.js';
import { adminCall, pollUntil } from './helpers/http.js';
import { startHybridgate, type StartedNode } from './helpers/hybrid-cluster.js';
import { HYBRIDGATE_VERSION } from '../../src/runtime/version.js';

/** Three processes start on a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 60_000;

const suite = clusterSuite({ upstream: 'crash' });

beforeAll(() => suite.addRoute('crash', '/base'));

/**
 * Waits until the DP `dp` serves `serving` and no longer `gone`, and the CP's row for it shows the
 * CP's newest exported hash, other than `previous`: once the DP serves the last write, that hash is
 * the last version, and the row shows that the DP acknowledged (persisted) it.
 */
async function acknowledged(
  dp: StartedNode,
  o: { serving: string[]; gone?: string[]; previous?: string | null },
): Promise<string> {
  return pollUntil(
    async () => {
      for (const path of o.serving) if ((await proxyGet(dp, path)).status !== 200) return null;
      for (const path of o.gone ?? []) if ((await proxyGet(dp, path)).status !== 404) return null;
      const hash = cpConfigHash(suite.cp);
      const row = await rowOf(suite.cp, 'dp-crash');
      return hash !== null && hash !== (o.previous ?? null) && row?.config_hash === hash ? hash : null;
    },
    `dp-crash serves ${o.serving.join(', ')} and acknowledged the control plane's hash`,
    { timeoutMs: 15_000 },
  );
}

describe('a DP killed right after acknowledging a delta', () => {
  it(
    'restarts from its cache (CP down) on exactly the acknowledged config',
    async () => {
      const dp = await suite.startDataPlane('dp-crash');
      const admin = suite.cp.port('admin');
      let hash = await acknowledged(dp, { serving: ['/base'] });
      await adminCall(admin, 'POST', '/services/crash/routes', { name: 'gone', paths: ['/gone'] });
      hash = await acknowledged(dp, { serving: ['/gone'], previous: hash });
      await adminCall(admin, 'POST', '/services/crash/routes', { name: 'kept', paths: ['/kept'] });
      await adminCall(admin, 'DELETE', '/routes/gone');
      hash = await acknowledged(dp, { serving: ['/kept'], gone: ['/gone'], previous: hash });
      await adminCall(admin, 'POST', '/services/crash/routes', { name: 'last', paths: ['/last'] });
      hash = await acknowledged(dp, { serving: ['/last'], previous: hash });
      const exit = await dp.proc.stop('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      // Everything after the first snapshot came as deltas, so the cache holds what deltas wrote.
      expect(dp.proc.linesWith('configuration applied (delta)').length).toBeGreaterThanOrEqual(3);
      expect(dp.proc.linesWith('configuration applied (snapshot)')).toHaveLength(1);

      await suite.cp.proc.stop();
      const again = await startHybridgate('dp-crash (restarted, CP down)', dp.env);
      expect(again.proc.linesWith('configuration loaded').map((l) => [l.source, l.config_hash])).toEqual([
        ['cache', hash],
      ]);
      expect((await dpStatus(again)).configuration_hash).toBe(hash);
      for (const path of ['/base', '/kept', '/last']) expect((await proxyGet(again, path)).status).toBe(200);
      expect((await proxyGet(again, '/gone')).status).toBe(404);
      await again.proc.stop();

      // The records themselves reassemble into a config that hashes to what the head says.
      const [major, minor] = HYBRIDGATE_VERSION.split('.');
      const cache = await openConfigCache({
        path: join(suite.ws.prefix('dp-crash'), 'dbless.lmdb'),
        mode: 'unencrypted',
        versionTag: `${major}.${minor}`,
        logger: createLogger({
          component: 'test',
          destination: new Writable({ write: (_c, _e, cb) => cb() }),
        }),
      });
      try {
        const loaded = await cache.load();
        expect(loaded?.hashes.config).toBe(hash);
        expect(configHashes(loaded!.config).config).toBe(hash);
      } finally {
        await cache.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
