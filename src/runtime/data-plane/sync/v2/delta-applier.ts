import { errorMessage } from '../../../../shared/errors.js';
import type { Logger } from '../../../../shared/logger.js';
import { configHashes, EntityTextCache, updateConfigHashes } from '../../../config/hash.js';
import type { ConfigHashes, ErrorReport } from '../../../protocol/messages.js';
import { decodeV2Frame } from '../../../protocol/v2/frames.js';
import type { Delta, SnapshotPart, SnapshotV2 } from '../../../protocol/v2/messages.js';
import type { ConfigCache } from '../../cache/config-cache.js';
import type { ConfigApplier } from '../config-applier.js';
import { applyDeltaChanges } from './apply-delta.js';

/** The config a v2 DP runs, as the CP exported it (before validation filled defaults), and its version. */
export interface AppliedState {
  config: Record<string, unknown>;
  hashes: ConfigHashes;
  /** The CP config version; 0 when unknown (empty, declarative_config, a v1 cache). */
  version: number;
}

/** Protocol v2 on the DP: applies snapshots and deltas in order, asks for a snapshot when a delta fails. */
export interface DeltaApplier {
  /** What basic_info announces: the version applied (0: none) and its hash. */
  applied(): { version: number; hash: string };
  /** Queues a v2 frame; frames are applied in order (a delta builds on the one before). */
  offer(frame: Buffer): void;
  /** A new link opened: the CP will start from `applied()`, an earlier resync request is void. */
  linkOpened(): void;
  /** Frames applied since start, by kind, and resync requests sent (tests, benchmark). */
  readonly counts: { delta: number; snapshot: number; resync: number };
  idle(): Promise<void>;
}

/** Creates the v2 applier on top of the v1 applier (validation, the engine, the served hash). */
export function createDeltaApplier(opts: {
  applier: ConfigApplier;
  cache: ConfigCache;
  logger: Logger;
  limits: { maxPayload: number; maxInflated: number };
  /** The config loaded at start (cache or declarative_config), or null. */
  initial: AppliedState | null;
  onApplied: (hash: string) => void;
  onRejected: (error: ErrorReport['error']) => void;
  /** Sends `{type:"resync"}`; false when the link is down (the next connection starts over anyway). */
  requestResync: (reason: string) => boolean;
}): DeltaApplier {
  const log = opts.logger;
  let state: AppliedState | null = opts.initial;
  const queue: Buffer[] = [];
  let running: Promise<void> | null = null;
  // After a resync request, deltas built on what the CP thought we had are dropped until the snapshot.
  let awaitingSnapshot = false;
  const counts = { delta: 0, snapshot: 0, resync: 0 };
  // Entity texts of the canonical serialisation: a family's re-hash after a delta serialises only the
  // entities the delta brought (entities are never mutated: deltas copy, validation builds new ones).
  const texts = new EntityTextCache();
  // The snapshot being assembled from parts, and the index expected next.
  let assembly: { first: SnapshotPart; config: Record<string, unknown>; next: number } | null = null;

  const resync = (reason: string, context: Record<string, unknown>) => {
    log.warn(
      { ...context, reason, serving: opts.applier.currentHash },
      'unable to apply delta, asking for a snapshot',
    );
    awaitingSnapshot = true;
    counts.resync++;
    opts.requestResync(reason);
  };

  /**
   * Makes `next` the applied state, persists it (a delta entity by entity, a snapshot whole), and only
   * then tells the CP: the hash a DP acknowledges is the one its cache holds, so a DP killed right
   * after an acknowledgement restarts on that config.
   */
  const commit = async (next: AppliedState, kind: 'delta' | 'snapshot', delta: Delta | null) => {
    const from = state?.version ?? 0;
    state = next;
    counts[kind]++;
    // The config already serves; a failed cache write only costs the next cold start.
    const entry = { config: next.config, hashes: next.hashes, version: next.version };
    await (
      delta
        ? opts.cache.saveDelta({ fromVersion: from, changes: delta.changes, entry })
        : opts.cache.save(entry)
    ).catch((err: unknown) => {
      log.warn({ err: errorMessage(err) }, 'unable to write the config cache');
    });
    opts.onApplied(next.hashes.config);
  };

  const onSnapshot = async (msg: SnapshotV2) => {
    awaitingSnapshot = false;
    const next = { config: msg.config_table, hashes: msg.hashes, version: msg.version };
    if (msg.config_hash !== opts.applier.currentHash) {
      try {
        await opts.applier.applyConfig(msg.config_table, msg.hashes);
      } catch (err) {
        const fields = (err as { fields?: unknown }).fields;
        log.error(
          { config_hash: msg.config_hash, err: errorMessage(err), serving: opts.applier.currentHash },
          'rejected configuration from control plane, keeping the current one',
        );
        opts.onRejected({
          name: 'configuration reload failed',
          message: errorMessage(err),
          config_hash: msg.config_hash,
          ...(fields !== undefined ? { fields } : {}),
        });
        return;
      }
      log.info({ config_hash: msg.config_hash, version: msg.version }, 'configuration applied (snapshot)');
    }
    await commit(next, 'snapshot', null);
  };

  const onDelta = async (msg: Delta) => {
    const ctx = { from_version: msg.from_version, to_version: msg.to_version, config_hash: msg.config_hash };
    if (awaitingSnapshot) return log.debug(ctx, 'delta dropped while waiting for a snapshot');
    if (!state || state.version !== msg.from_version) {
      return resync(
        `delta starts at version ${msg.from_version} but this data plane has ${state?.version ?? 0}`,
        ctx,
      );
    }
    let config: Record<string, unknown>;
    try {
      config = applyDeltaChanges(state.config, msg.changes);
    } catch (err) {
      return resync(errorMessage(err), ctx);
    }
    // Only the families the delta touched are re-hashed; the others keep the applied config's hashes.
    // (A base whose hashes lack `rest`, from a CP that did not send it, is hashed whole.)
    const prev = state.hashes;
    const touched = new Set(msg.changes.map((c) => c.family));
    const hashes =
      prev.rest === undefined
        ? configHashes(config)
        : updateConfigHashes({ ...prev, rest: prev.rest }, config, touched, texts);
    const hash = hashes.config;
    if (hash !== msg.hashes.config)
      return resync(`config hash after the delta is ${hash}, expected ${msg.hashes.config}`, ctx);
    try {
      await opts.applier.applyConfig(config, msg.hashes);
    } catch (err) {
      return resync(`the config after the delta is invalid: ${errorMessage(err)}`, ctx);
    }
    log.info({ ...ctx, changes: msg.changes.length }, 'configuration applied (delta)');
    await commit({ config, hashes, version: msg.to_version }, 'delta', msg);
  };

  const onPart = async (msg: SnapshotPart) => {
    const ctx = { version: msg.version, index: msg.index, count: msg.count };
    if (msg.index === 0) {
      assembly = { first: msg, config: {}, next: 0 };
    } else if (
      !assembly ||
      assembly.next !== msg.index ||
      assembly.first.version !== msg.version ||
      assembly.first.count !== msg.count ||
      assembly.first.config_hash !== msg.config_hash
    ) {
      assembly = null;
      return resync(`snapshot part ${msg.index} of ${msg.count} arrived out of sequence`, ctx);
    }
    const target = assembly.config;
    for (const [key, value] of Object.entries(msg.config_table)) {
      const have = target[key];
      if (Array.isArray(value) && Array.isArray(have)) for (const e of value as unknown[]) have.push(e);
      else target[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
    }
    assembly.next++;
    if (assembly.next < msg.count) return;
    const { first, config } = assembly;
    assembly = null;
    const hash = configHashes(config).config;
    if (hash !== first.config_hash)
      return resync(`assembled snapshot hashes to ${hash}, expected ${first.config_hash}`, ctx);
    await onSnapshot({ ...first, type: 'reconfigure', config_table: config });
  };

  const handle = async (frame: Buffer) => {
    try {
      const msg = await decodeV2Frame(frame, opts.limits);
      if (msg.type !== 'snapshot_part' && assembly) {
        assembly = null;
        return resync('a snapshot in parts was interrupted', {});
      }
      await (msg.type === 'delta'
        ? onDelta(msg)
        : msg.type === 'snapshot_part'
          ? onPart(msg)
          : onSnapshot(msg));
    } catch (err) {
      // Undecodable: we cannot tell what it would have changed, so start from a snapshot.
      resync(`undecodable v2 frame: ${errorMessage(err)}`, {});
    }
  };

  const drain = async () => {
    while (queue.length > 0) await handle(queue.shift()!);
    running = null;
  };

  return {
    applied: () =>
      state && state.hashes.config === opts.applier.currentHash
        ? { version: state.version, hash: state.hashes.config }
        : { version: 0, hash: opts.applier.currentHash },
    offer(frame) {
      queue.push(frame);
      running ??= drain();
    },
    linkOpened() {
      awaitingSnapshot = false;
      // Parts of a snapshot from the lost link will not be completed.
      assembly = null;
    },
    counts,
    idle: async () => {
      while (running) await running;
    },
  };
}
