import { describe, it, expect } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { createLogger } from '../../../../shared/logger.js';
import { configHashes, updateConfigHashes } from '../../../config/hash.js';
import type { CachedConfig, CachedDelta, ConfigCache } from '../../cache/config-cache.js';
import type { ConfigApplier } from '../config-applier.js';
import { createDeltaApplier } from './delta-applier.js';

const logger = createLogger({
  component: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
  level: 'error',
});
const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const v1 = { _format_version: '3.0', routes: [{ id: id(1), name: 'a' }] };
const v2 = {
  _format_version: '3.0',
  routes: [
    { id: id(1), name: 'a' },
    { id: id(2), name: 'b' },
  ],
};
const frame = (m: unknown) => gzipSync(JSON.stringify(m));
const snapshot = (version: number, config: Record<string, unknown>) => {
  const hashes = configHashes(config);
  return frame({
    type: 'reconfigure',
    timestamp: 1,
    version,
    config_table: config,
    config_hash: hashes.config,
    hashes,
  });
};
const delta = (from: number, to: number, hashOf: Record<string, unknown> = v2) => {
  const hashes = configHashes(hashOf);
  const changes = [{ op: 'upsert', family: 'routes', id: id(2), entity: { id: id(2), name: 'b' } }];
  return frame({
    type: 'delta',
    timestamp: 1,
    from_version: from,
    to_version: to,
    changes,
    config_hash: hashes.config,
    hashes,
  });
};

function setup() {
  let current = '0'.repeat(32);
  const served: Record<string, unknown>[] = [];
  const saved: CachedConfig[] = [];
  const resyncs: string[] = [];
  const applier = {
    get currentHash() {
      return current;
    },
    applyConfig: async (config: Record<string, unknown>, hashes: { config: string }) => {
      served.push(config);
      current = hashes.config;
    },
  } as unknown as ConfigApplier;
  const deltas: CachedDelta[] = [];
  const cache = {
    save: async (e: CachedConfig) => void saved.push(e),
    saveDelta: async (d: CachedDelta) => {
      deltas.push(d);
      saved.push(d.entry);
      return 'delta';
    },
  } as unknown as ConfigCache;
  const d = createDeltaApplier({
    applier,
    cache,
    logger,
    limits: { maxPayload: 1 << 20, maxInflated: 1 << 22 },
    initial: null,
    onApplied: () => undefined,
    onRejected: () => undefined,
    requestResync: (reason) => resyncs.push(reason) > 0,
  });
  return { d, served, saved, resyncs, deltas };
}

describe('DP delta applier', () => {
  it('applies a snapshot then a delta, persisting each with its version (the delta entity by entity)', async () => {
    const { d, served, saved, deltas } = setup();
    d.offer(snapshot(4, v1));
    d.offer(delta(4, 6));
    await d.idle();
    expect(served.at(-1)).toEqual(v2);
    expect(saved.map((s) => s.version)).toEqual([4, 6]);
    expect(deltas.map((x) => [x.fromVersion, x.changes.length])).toEqual([[4, 1]]);
    expect(d.applied()).toEqual({ version: 6, hash: configHashes(v2).config });
    expect(d.counts).toEqual({ delta: 1, snapshot: 1, resync: 0 });
  });

  it('re-hashes only the families a delta touches, keeping the other hashes of the applied config', async () => {
    const { d, served, resyncs } = setup();
    // The snapshot's services hash is not that of its (absent) services: only a DP that carries it
    // over, rather than re-hashing everything, arrives at the CP's hash after the routes delta.
    const claimed = { ...configHashes(v1), services: 'f'.repeat(32) };
    const withClaim = updateConfigHashes(claimed, v1, []);
    d.offer(
      frame({
        type: 'reconfigure',
        timestamp: 1,
        version: 4,
        config_table: v1,
        config_hash: withClaim.config,
        hashes: withClaim,
      }),
    );
    const after = updateConfigHashes(claimed, v2, ['routes']);
    const changes = [{ op: 'upsert', family: 'routes', id: id(2), entity: { id: id(2), name: 'b' } }];
    d.offer(
      frame({
        type: 'delta',
        timestamp: 1,
        from_version: 4,
        to_version: 5,
        changes,
        config_hash: after.config,
        hashes: after,
      }),
    );
    await d.idle();
    expect(resyncs).toEqual([]);
    expect(served.at(-1)).toEqual(v2);
    expect(d.applied()).toEqual({ version: 5, hash: after.config });
  });

  it('asks for a snapshot on a gap, a wrong hash or an undecodable frame, and serves nothing wrong', async () => {
    const { d, served, resyncs } = setup();
    d.offer(snapshot(4, v1));
    d.offer(delta(5, 6));
    await d.idle();
    expect(resyncs.at(-1)).toMatch(/delta starts at version 5 but this data plane has 4/);
    // Deltas after a resync request wait for the snapshot.
    d.offer(delta(4, 6));
    await d.idle();
    expect(served).toHaveLength(1);
    d.linkOpened();
    d.offer(delta(4, 6, { other: true }));
    await d.idle();
    expect(resyncs.at(-1)).toMatch(/config hash after the delta is [0-9a-f]{32}, expected/);
    d.linkOpened();
    d.offer(Buffer.from('not gzip'));
    await d.idle();
    expect(resyncs.at(-1)).toMatch(/undecodable v2 frame/);
    expect(served).toEqual([v1]);
    expect(d.applied().version).toBe(4);
  });

  it('assembles a snapshot from parts in order and refuses parts out of sequence', async () => {
    const { d, served, resyncs } = setup();
    const hashes = configHashes(v2);
    const part = (index: number, config_table: Record<string, unknown>) =>
      frame({
        type: 'snapshot_part',
        timestamp: 1,
        version: 9,
        index,
        count: 2,
        config_table,
        config_hash: hashes.config,
        hashes,
      });
    d.offer(part(1, { routes: [v2.routes[1]] }));
    await d.idle();
    expect(resyncs.at(-1)).toMatch(/snapshot part 1 of 2 arrived out of sequence/);
    d.offer(part(0, { _format_version: '3.0', routes: [v2.routes[0]] }));
    d.offer(part(1, { routes: [v2.routes[1]] }));
    await d.idle();
    expect(served).toEqual([v2]);
    expect(d.applied()).toEqual({ version: 9, hash: hashes.config });
  });
});
