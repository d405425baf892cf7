/**
 * What a control plane refuses, with real processes: a DP with a foreign certificate, a DP whose key
 * does not match its certificate, a DP of a newer minor version, and (without disconnecting it) a DP
 * lacking a plugin the configuration uses. Each refusal must be visible in the CP's log and must leave
 * the DP without the CP's configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
import { adminCall, pollUntil, startUpstream, type Upstream } from './helpers/http.js';
import {
  controlPlaneEnv,
  dataPlaneEnv,
  removeWorkspaces,
  runHybridgate,
  startHybridgate,
  Workspace,
  type CertFiles,
  type StartedNode,
} from './helpers/hybrid-cluster.js';
import { stopAllNodes } from './helpers/node-process.js';
import { BUNDLED_PLUGINS } from '../../src/runtime/config/conf/properties.js';

/** Processes start in ~1 s each, several under a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 45_000;

const EMPTY_HASH = '0'.repeat(32);

let ws: Workspace;
let certs: CertFiles;
let foreign: CertFiles;
let upstream: Upstream;
let cp: StartedNode;
let dpOk: StartedNode;

beforeAll(async () => {
  ws = new Workspace();
  [certs, foreign, upstream] = await Promise.all([
    ws.genCert('cluster'),
    ws.genCert('foreign'),
    startUpstream('refusals'),
  ]);
  // debug: the CP logs TLS handshake failures at debug level only.
  cp = await startHybridgate('cp', controlPlaneEnv(ws, certs, { extra: { HYBRIDGATE_LOG_LEVEL: 'debug' } }));
  dpOk = await startHybridgate('dp-ok', dataPlaneEnv(ws, 'dp-ok', certs, cp.port('cluster')));
  await adminCall(cp.port('admin'), 'POST', '/services', { name: 'svc', url: upstream.url });
  await adminCall(cp.port('admin'), 'POST', '/services/svc/routes', { name: 'r', paths: ['/svc'] });
  await waitServingEverywhere([dpOk], '/svc', 'refusals');
}, 60_000);

afterAll(async () => {
  await stopAllNodes();
  await upstream?.close();
  removeWorkspaces();
});

/** Asserts a DP never applied anything: no apply line, the empty hash on its status API. */
async function expectNoConfig(dp: StartedNode): Promise<void> {
  expect(dp.proc.linesWith('configuration applied')).toEqual([]);
  expect((await dpStatus(dp)).configuration_hash).toBe(EMPTY_HASH);
}

describe('refusals by a control plane process', () => {
  it(
    'a DP with a foreign certificate (another gen_cert) and the CP refuse each other at the handshake',
    async () => {
      const mark = cp.proc.lines.length;
      const dp = await startHybridgate(
        'dp-foreign',
        dataPlaneEnv(ws, 'dp-foreign', foreign, cp.port('cluster')),
      );
      // The DP checks the CP's certificate against its own cluster_cert first and aborts, so the CP
      // only sees the aborted handshake; a retry is refused alike.
      await pollUntil(
        () => cp.proc.lines.slice(mark).filter((l) => l.msg === 'cluster tls handshake failed').length >= 2,
        'two refused handshakes on the CP',
      );
      // The DP says why at its default level: one line for the whole series of retries.
      const failed = dp.proc.linesWith('unable to connect to control plane, retrying with backoff');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toMatch(/self[- ]signed/i);
      expect(dp.proc.linesWith(/^(re)?connected to control plane$/)).toEqual([]);
      await expectNoConfig(dp);
      expect((await dataPlaneRows(cp)).map((r) => r.labels.node)).toEqual(['dp-ok']);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a DP that trusts the CP but presents a foreign certificate, and logs why',
    async () => {
      // A bundle: the DP presents the foreign certificate (the first) and also trusts the CP's.
      const bundle = join(ws.root, 'foreign-plus-cp.crt');
      writeFileSync(bundle, readFileSync(foreign.cert, 'utf8') + readFileSync(certs.cert, 'utf8'));
      const mark = cp.proc.lines.length;
      const dp = await startHybridgate(
        'dp-rogue',
        dataPlaneEnv(ws, 'dp-rogue', { cert: bundle, key: foreign.key }, cp.port('cluster')),
      );
      const refusal = 'data plane presented incorrect client certificate during handshake';
      await pollUntil(
        () => cp.proc.lines.slice(mark).filter((l) => l.msg === refusal).length >= 2,
        'two refusals logged by the CP',
      );
      const line = cp.proc.lines.slice(mark).find((l) => l.msg === refusal)!;
      expect(line).toMatchObject({ ip: '127.0.0.1', level: 40 });
      expect(line.reason).toMatch(/^client certificate digest \S+ does not match cluster_cert digest \S+$/);
      await expectNoConfig(dp);
      expect((await dataPlaneRows(cp)).map((r) => r.labels.node)).toEqual(['dp-ok']);
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
        dataPlaneEnv(ws, 'dp-wrong-key', { cert: certs.cert, key: foreign.key }, cp.port('cluster')),
      );
      expect(exit.code).toBe(1);
      expect(proc.linesWith('node started')).toEqual([]);
      // A conf error, before anything listens: one plain line naming the property and the file.
      expect(proc.linesWith(/^Error: /).map((l) => l.msg)).toEqual([
        `Error: cluster_cert_key: does not match cluster_cert ${certs.cert} (expected the private key of that certificate)`,
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a DP of a newer minor version: kong_version_incompatible, connection closed, no config',
    async () => {
      const mark = cp.proc.lines.length;
      const dp = await startHybridgate(
        'dp-newer',
        dataPlaneEnv(ws, 'dp-newer', certs, cp.port('cluster'), {
          HYBRIDGATE_TEST_REPORTED_VERSION: '0.2.0',
        }),
      );
      const refusal = 'data plane version 0.2.0 is incompatible with control plane version 0.1.0, closing';
      await pollUntil(
        () => cp.proc.lines.slice(mark).filter((l) => l.msg === refusal).length >= 2,
        'two refusals',
      );
      const line = cp.proc.lines.slice(mark).find((l) => l.msg === refusal)!;
      expect(line.reason).toBe('data plane minor version 2 is newer than control plane minor version 1');
      // The CP closes before basic_info (which carries the labels), so the row is found by version.
      const row = (await dataPlaneRows(cp)).find((r) => r.version === '0.2.0');
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
      const dp = await startHybridgate(
        'dp-lean',
        dataPlaneEnv(ws, 'dp-lean', certs, cp.port('cluster'), { HYBRIDGATE_PLUGINS: lean }),
      );
      const { hash: before } = await waitRowsInSync(cp, 2);
      expect((await dpStatus(dp)).configuration_hash).toBe(before);

      const mark = cp.proc.lines.length;
      const plugin = await adminCall<{ id: string }>(cp.port('admin'), 'POST', '/plugins', {
        name: 'rate-limiting',
        config: { minute: 1000, policy: 'local' },
      });
      const withPlugin = await pollUntil(async () => {
        const h = cpConfigHash(cp);
        return h !== before && (await dpStatus(dpOk)).configuration_hash === h ? h : null;
      }, 'dp-ok on the config with rate-limiting');
      await pollUntil(
        async () => (await rowOf(cp, 'dp-lean'))?.sync_status === 'plugin_set_incompatible',
        'dp-lean listed plugin_set_incompatible',
      );
      const warning = await cp.proc.waitForMsg(/^unable to send updated configuration to data plane: /, {
        fromIndex: mark,
      });
      expect(warning.msg).toMatch(/configured rate-limiting plugin \S+ is missing from data plane$/);
      expect((await dpStatus(dp)).configuration_hash).toBe(before);
      expect(await rowOf(cp, 'dp-lean')).toMatchObject({ status: 'connected', config_hash: before });
      expect(await rowOf(cp, 'dp-ok')).toMatchObject({ sync_status: 'normal', config_hash: withPlugin });

      await adminCall(cp.port('admin'), 'DELETE', `/plugins/${plugin.id}`);
      const { hash: after } = await waitRowsInSync(cp, 2);
      expect(after).not.toBe(withPlugin);
      expect((await dpStatus(dp)).configuration_hash).toBe(after);
      await dp.proc.stop();
    },
    TEST_TIMEOUT_MS,
  );
});
