/**
 * What a control plane refuses, with real processes: a DP with a foreign certificate, a DP whose key
 * does not match its certificate, a DP of a newer minor version, and (without disconnecting it) a DP
 * lacking a plugin the configuration uses. Each refusal must be visible in the CP's log and must leave
 * the DP without the CP's configuration.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpConfigHash,
  dataPlaneRows,
  dpStatus,
  rowOf,
  waitRowsInSync,
  waitServingEverywhere,
} from './helpers/cluster-state.js';
import { clusterSuite } from './helpers/cluster-suite.js';
import { adminCall, pollUntil } from './helpers/http.js';
import {
  dataPlaneEnv,
  runHybridgate,
  startHybridgate,
  type CertFiles,
  type StartedNode,
} from './helpers/hybrid-cluster.js';
import { BUNDLED_PLUGINS } from '../../src/runtime/config/conf/properties.js';

/** Processes start in ~1 s each, several under a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 45_000;

const EMPTY_HASH = '0'.repeat(32);

// debug: the CP logs TLS handshake failures at debug level only.
const suite = clusterSuite({ upstream: 'refusals', cpExtra: { HYBRIDGATE_LOG_LEVEL: 'debug' } });
let foreign: CertFiles;
let dpOk: StartedNode;

beforeAll(async () => {
  foreign = await suite.ws.genCert('foreign');
  dpOk = await suite.startDataPlane('dp-ok');
  await suite.addRoute('svc', '/svc');
  await waitServingEverywhere([dpOk], '/svc', 'refusals');
}, 60_000);

/** Asserts a DP never applied anything: no apply line, the empty hash on its status API. */
async function expectNoConfig(dp: StartedNode): Promise<void> {
  expect(dp.proc.linesWith('configuration applied')).toEqual([]);
  expect((await dpStatus(dp)).configuration_hash).toBe(EMPTY_HASH);
}

describe('refusals by a control plane process', () => {
  it(
    'a DP with a foreign certificate (another gen_cert) and the CP refuse each other at the handshake',
    async () => {
      const mark = suite.cp.proc.lines.length;
      const dp = await startHybridgate(
        'dp-foreign',
        dataPlaneEnv(suite.ws, 'dp-foreign', foreign, suite.cp.port('cluster')),
      );
      // The DP checks the CP's certificate against its own cluster_cert first and aborts, so the CP
      // only sees the aborted handshake; a retry is refused alike.
      await pollUntil(
        () =>
          suite.cp.proc.lines.slice(mark).filter((l) => l.msg === 'cluster tls handshake failed').length >= 2,
        'two refused handshakes on the CP',
      );
      // The DP says why at its default level: one line for the whole series of retries.
      const failed = dp.proc.linesWith('unable to connect to control plane, retrying with backoff');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toMatch(/self[- ]signed/i);
      expect(dp.proc.linesWith(/^(re)?connected to control plane$/)).toEqual([]);
      await expectNoConfig(dp);
      expect((await dataPlaneRows(suite.cp)).map((r) => r.labels.node)).toEqual(['dp-ok']);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a DP that trusts the CP but presents a foreign certificate, and logs why',
    async () => {
      // A bundle: the DP presents the foreign certificate (the first) and also trusts the CP's.
      const bundle = join(suite.ws.root, 'foreign-plus-cp.crt');
      writeFileSync(bundle, readFileSync(foreign.cert, 'utf8') + readFileSync(suite.certs.cert, 'utf8'));
      const mark = suite.cp.proc.lines.length;
      const dp = await startHybridgate(
        'dp-rogue',
        dataPlaneEnv(suite.ws, 'dp-rogue', { cert: bundle, key: foreign.key }, suite.cp.port('cluster')),
      );
      const refusal = 'data plane presented incorrect client certificate during handshake';
      await pollUntil(
        () => suite.cp.proc.lines.slice(mark).filter((l) => l.msg === refusal).length >= 2,
        'two refusals logged by the CP',
      );
      const line = suite.cp.proc.lines.slice(mark).find((l) => l.msg === refusal)!;
      expect(line).toMatchObject({ ip: '127.0.0.1', level: 40 });
      expect(line.reason).toMatch(/^client certificate digest \S+ does not match cluster_cert digest \S+$/);
      await expectNoConfig(dp);
      expect((await dataPlaneRows(suite.cp)).map((r) => r.labels.node)).toEqual(['dp-ok']);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a DP whose key does not belong to its certificate fails to start with exit code 1 and says why',
    async () => {
      const { exit, proc } = await runHybridgate(
        'dp-wrong-key',
        ['start'],
        dataPlaneEnv(
          suite.ws,
          'dp-wrong-key',
          { cert: suite.certs.cert, key: foreign.key },
          suite.cp.port('cluster'),
        ),
      );
      expect(exit.code).toBe(1);
      expect(proc.linesWith('node started')).toEqual([]);
      // A conf error, before anything listens: one plain line naming the property and the file.
      expect(proc.linesWith(/^Error: /).map((l) => l.msg)).toEqual([
        `Error: cluster_cert_key: does not match cluster_cert ${suite.certs.cert} (expected the private key of that certificate)`,
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a DP of a newer minor version: kong_version_incompatible, connection closed, no config',
    async () => {
      const mark = suite.cp.proc.lines.length;
      const dp = await suite.startDataPlane('dp-newer', {
        HYBRIDGATE_TEST_REPORTED_VERSION: '0.2.0',
      });
      const refusal = 'data plane version 0.2.0 is incompatible with control plane version 0.1.0, closing';
      await pollUntil(
        () => suite.cp.proc.lines.slice(mark).filter((l) => l.msg === refusal).length >= 2,
        'two refusals',
      );
      const line = suite.cp.proc.lines.slice(mark).find((l) => l.msg === refusal)!;
      expect(line.reason).toBe('data plane minor version 2 is newer than control plane minor version 1');
      // The CP closes before basic_info (which carries the labels), so the row is found by version.
      const row = (await dataPlaneRows(suite.cp)).find((r) => r.version === '0.2.0');
      expect(row).toMatchObject({ sync_status: 'kong_version_incompatible', status: 'disconnected' });
      expect(dp.proc.linesWith('lost connection to control plane, reconnecting')[0]).toMatchObject({
        reason: 'data plane minor version 2 is newer than control plane minor version 1',
      });
      await expectNoConfig(dp);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a DP lacking a configured plugin is plugin_set_incompatible and gets no pushes until the plugin goes',
    async () => {
      const lean = BUNDLED_PLUGINS.filter((p) => p !== 'rate-limiting').join(',');
      const dp = await suite.startDataPlane('dp-lean', {
        HYBRIDGATE_PLUGINS: lean,
      });
      const { hash: before } = await waitRowsInSync(suite.cp, 2);
      expect((await dpStatus(dp)).configuration_hash).toBe(before);

      const mark = suite.cp.proc.lines.length;
      const plugin = await adminCall<{ id: string }>(suite.cp.port('admin'), 'POST', '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1000, policy: 'local' },
      });
      const withPlugin = await pollUntil(async () => {
        const h = cpConfigHash(suite.cp);
        return h !== before && (await dpStatus(dpOk)).configuration_hash === h ? h : null;
      }, 'dp-ok on the config with rate-limiting');
      await pollUntil(
        async () => (await rowOf(suite.cp, 'dp-lean'))?.sync_status === 'plugin_set_incompatible',
        'dp-lean listed plugin_set_incompatible',
      );
      const warning = await suite.cp.proc.waitForMsg(
        /^unable to send updated configuration to data plane: /,
        {
          fromIndex: mark,
        },
      );
      expect(warning.msg).toMatch(/configured rate-limiting plugin \S+ is missing from data plane$/);
      expect((await dpStatus(dp)).configuration_hash).toBe(before);
      expect(await rowOf(suite.cp, 'dp-lean')).toMatchObject({ status: 'connected', config_hash: before });
      expect(await rowOf(suite.cp, 'dp-ok')).toMatchObject({
        sync_status: 'normal',
        config_hash: withPlugin,
      });

      await adminCall(suite.cp.port('admin'), 'DELETE', `/plugins/${plugin.id}`);
      const { hash: after } = await waitRowsInSync(suite.cp, 2);
      expect(after).not.toBe(withPlugin);
      expect((await dpStatus(dp)).configuration_hash).toBe(after);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );
});
