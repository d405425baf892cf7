import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { EMPTY_CONFIG_HASH } from '../../protocol/constants.js';
import type { ConfigHashes, ErrorReport } from '../../protocol/messages.js';
import { decodeReconfigurePayload } from '../../protocol/reconfigure-payload.js';
import type { ConfigCache } from '../cache/config-cache.js';
import { stripUnknownNulls, type KnownFields } from './strip-unknown-nulls.js';

/** Where a validated config goes: the DP engine (`createDataPlaneEngine(...).apply`). */
export interface ConfigSink {
  apply(config: Record<string, unknown>, hashes: ConfigHashes): Promise<void> | void;
}

/**
 * Validates a declarative config with the Admin API's schemas (`validateDeclarativeConfig`) and returns
 * it with defaults filled; throws (a DbError with `fields`, ideally) when it is invalid.
 */
export type ConfigValidator = (
  config: Record<string, unknown>,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Applies configs one at a time and remembers the hash being served. */
export interface ConfigApplier {
  readonly currentHash: string;
  /** Queues a reconfigure frame; a newer frame replaces one not yet started. */
  offer(frame: Buffer): void;
  /** Applies a config from the cache or declarative_config at start; false (logged) on failure. */
  applyLocal(
    config: Record<string, unknown>,
    hashes: ConfigHashes,
    source: string,
    persist: boolean,
  ): Promise<boolean>;
  /**
   * Validates and applies a config now (protocol v2 after applying a delta); throws when it is
   * invalid or the sink fails, leaving the served config as it was.
   */
  applyConfig(config: Record<string, unknown>, hashes: ConfigHashes): Promise<void>;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

/** Creates the applier; `onApplied` pings the CP, `onRejected` sends the error frame. */
export function createConfigApplier(opts: {
  validate: ConfigValidator;
  knownFields: KnownFields;
  sink: ConfigSink;
  cache: ConfigCache;
  logger: Logger;
  limits: { maxPayload: number; maxInflated: number };
  onApplied: (hash: string) => void;
  onRejected: (error: ErrorReport['error']) => void;
}): ConfigApplier {
  const log = opts.logger;
  let current = EMPTY_CONFIG_HASH;
  let pending: Buffer | null = null;
  let running: Promise<void> | null = null;

  const apply = async (config: Record<string, unknown>, hashes: ConfigHashes) => {
    const validated = await opts.validate(stripUnknownNulls(config, opts.knownFields));
    await opts.sink.apply(validated, hashes);
    current = hashes.config;
    return validated;
  };

  const handle = async (frame: Buffer) => {
    let hash: string | null = null;
    let stage = 'declarative configuration parse failure';
    try {
      const msg = await decodeReconfigurePayload(frame, opts.limits);
      hash = msg.config_hash;
      if (hash === current) {
        log.debug({ config_hash: hash }, 'same config received, nothing to do');
        return;
      }
      const validated = await opts.validate(stripUnknownNulls(msg.config_table, opts.knownFields));
      stage = 'configuration reload failed';
      await opts.sink.apply(validated, msg.hashes);
      current = hash;
      log.info({ config_hash: hash }, 'configuration applied');
      opts.onApplied(hash);
      // The config already serves; a failed cache write only costs the next cold start.
      await opts.cache.save({ config: msg.config_table, hashes: msg.hashes }).catch((err) => {
        log.warn({ err: errorMessage(err) }, 'unable to write the config cache');
      });
    } catch (err) {
      const fields = (err as { fields?: unknown }).fields;
      log.error(
        { config_hash: hash, err: errorMessage(err), serving: current },
        'rejected configuration from control plane, keeping the current one',
      );
      opts.onRejected({
        name: stage,
        message: errorMessage(err),
        config_hash: hash,
        ...(fields !== undefined ? { fields } : {}),
      });
    }
  };

  const drain = async () => {
    while (pending) {
      const next = pending;
      pending = null;
      await handle(next);
    }
    running = null;
  };

  return {
    get currentHash() {
      return current;
    },
    offer(frame) {
      // Only the newest matters: an intermediate config would be replaced at once anyway.
      pending = frame;
      running ??= drain();
    },
    async applyLocal(config, hashes, source, persist) {
      try {
        await apply(config, hashes);
        log.info({ config_hash: hashes.config, source }, 'configuration loaded');
        if (persist) await opts.cache.save({ config, hashes });
        return true;
      } catch (err) {
        log.warn({ source, err: errorMessage(err) }, 'unable to load configuration, falling through');
        return false;
      }
    },
    applyConfig: async (config, hashes) => {
      await apply(config, hashes);
    },
    idle: () => running ?? Promise.resolve(),
  };
}
