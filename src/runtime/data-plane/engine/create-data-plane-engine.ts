import type { Logger } from '../../../shared/logger.js';
import { errorMessage, isHybridgateError } from '../../../shared/errors.js';
import { Router } from '../router/router.js';
import type { RouterRoute, RouterService } from '../router/types.js';
import { buildCertificateIndex } from './certificate-index.js';
import { buildConsumerIndex } from './consumer-index.js';
import { ConfigBuildError } from './engine-error.js';
import { createRoundRobinBalancer } from './fallback-balancer.js';
import { fallbackHashes } from './fallback-hashes.js';
import { buildServicePlans } from './service-plans.js';
import type {
  Balancer,
  BalancerFactory,
  ConfigEntity,
  ConfigHashes,
  ConfigState,
  DataPlaneConfig,
  PluginIndexFactory,
} from './types.js';

/** Construction options; factories default to the engine's built-ins until the other areas land. */
export interface DataPlaneEngineOptions {
  logger: Logger;
  createBalancer?: BalancerFactory;
  buildPlugins?: PluginIndexFactory;
  /** Releases a plugin index the swap retired (its counters, timers); not called for the live one. */
  disposePlugins?: (index: unknown) => void;
  computeHashes?: (config: DataPlaneConfig) => ConfigHashes;
  /** Entries of the router's match cache. */
  routerCacheSize?: number;
}

/** The outcome of `apply`: `hash` is the hash in service afterwards (the old one on failure). */
export interface ApplyResult {
  applied: boolean;
  hash: string;
  error?: { code: string; message: string; context?: Record<string, unknown> };
}

/** Builds and swaps the per-config state of a data plane. */
export interface DataPlaneEngine {
  /** Validated config in, new state swapped in on success; the old state is kept on any failure. */
  apply(config: DataPlaneConfig, hashes?: ConfigHashes): Promise<ApplyResult>;
  /** The state in service, or null before the first config. Capture it once per request. */
  current(): ConfigState | null;
  /** Called after each successful swap; returns an unsubscribe function. */
  onApplied(listener: (state: ConfigState) => void): () => void;
  /** Stops the balancers' health checks. */
  close(): void;
}

const list = (v: unknown): ConfigEntity[] => (Array.isArray(v) ? (v as ConfigEntity[]) : []);

function buildBalancers(
  config: DataPlaneConfig,
  factory: BalancerFactory,
): {
  upstreams: Map<string, ConfigEntity>;
  balancers: Map<string, Balancer>;
} {
  const upstreams = new Map<string, ConfigEntity>();
  const targetsByUpstream = new Map<string, ConfigEntity[]>();
  for (const t of list(config.targets)) {
    const uid = (t.upstream as { id?: string } | undefined)?.id;
    if (uid === undefined)
      throw new ConfigBuildError(`target ${t.id}: upstream is required`, { targetId: t.id });
    const arr = targetsByUpstream.get(uid);
    if (arr === undefined) targetsByUpstream.set(uid, [t]);
    else arr.push(t);
  }
  const balancers = new Map<string, Balancer>();
  for (const u of list(config.upstreams)) {
    const name = String(u.name);
    upstreams.set(name, u);
    try {
      balancers.set(name, factory(u, targetsByUpstream.get(u.id) ?? []));
    } catch (err) {
      for (const b of balancers.values()) b.close?.();
      throw new ConfigBuildError(
        `upstream ${name}: balancer build failed: ${errorMessage(err)}`,
        { upstream: name },
        {
          cause: err,
        },
      );
    }
  }
  return { upstreams, balancers };
}

/**
 * Creates the engine. Each apply builds beside the live state, reusing the parts whose sub-hashes did
 * not change (router: services‖routes; balancers: upstreams‖targets; plugins: plugins‖rest, since
 * consumers and credentials live in rest), then swaps one reference. Applies run one at a time.
 */
export function createDataPlaneEngine(opts: DataPlaneEngineOptions): DataPlaneEngine {
  const createBalancer = opts.createBalancer ?? createRoundRobinBalancer;
  const computeHashes = opts.computeHashes ?? fallbackHashes;
  const listeners = new Set<(state: ConfigState) => void>();
  let state: ConfigState | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  async function build(
    config: DataPlaneConfig,
    hashes: ConfigHashes,
    old: ConfigState | null,
  ): Promise<ConfigState> {
    const changed = (k: keyof ConfigHashes): boolean => old === null || old.hashes[k] !== hashes[k];
    const routerChanged = changed('routes') || changed('services');
    const balancersChanged = changed('upstreams') || changed('targets');
    const restChanged = changed('rest');
    const pluginsChanged = changed('plugins') || restChanged || routerChanged;

    const { upstreams, balancers } =
      balancersChanged || old === null
        ? buildBalancers(config, createBalancer)
        : {
            upstreams: old.upstreams as Map<string, ConfigEntity>,
            balancers: old.balancers as Map<string, Balancer>,
          };
    try {
      if (balancers !== old?.balancers) await Promise.all([...balancers.values()].map((b) => b.ready?.()));
      const router =
        routerChanged || old === null
          ? new Router(
              list(config.routes) as (RouterRoute & ConfigEntity)[],
              list(config.services) as (RouterService & ConfigEntity)[],
              { cacheSize: opts.routerCacheSize },
            )
          : old.router;
      const plans =
        old === null || routerChanged || balancersChanged || restChanged
          ? buildServicePlans(list(config.services), upstreams, list(config.ca_certificates))
          : old.plans;
      const certificates =
        old === null || restChanged
          ? buildCertificateIndex(list(config.certificates), list(config.snis))
          : old.certificates;
      const consumers = old === null || restChanged ? buildConsumerIndex(config) : old.consumers;
      const plugins =
        old === null || pluginsChanged ? await (opts.buildPlugins?.(config) ?? null) : old.plugins;
      return {
        hash: hashes.config,
        hashes,
        config,
        router,
        plans,
        upstreams,
        balancers,
        plugins,
        certificates,
        consumers,
        appliedAt: Date.now(),
      };
    } catch (err) {
      if (balancers !== old?.balancers) for (const b of balancers.values()) b.close?.();
      throw err;
    }
  }

  async function applyNow(config: DataPlaneConfig, given?: ConfigHashes): Promise<ApplyResult> {
    const live = state;
    let hashes: ConfigHashes;
    try {
      hashes = given ?? computeHashes(config);
    } catch (err) {
      return {
        applied: false,
        hash: live?.hash ?? '',
        error: { code: 'HG_ERR_DP_CONFIG_HASH', message: errorMessage(err) },
      };
    }
    if (live !== null && live.hash === hashes.config) return { applied: false, hash: live.hash };
    try {
      const next = await build(config, hashes, live);
      state = next;
      if (live !== null && live.balancers !== next.balancers)
        for (const b of live.balancers.values()) b.close?.();
      if (live !== null && live.plugins !== next.plugins && live.plugins !== null) {
        try {
          opts.disposePlugins?.(live.plugins);
        } catch (err) {
          opts.logger.warn({ err: errorMessage(err) }, 'disposing the previous plugin index failed');
        }
      }
      opts.logger.info({ config_hash: next.hash, routes: next.router.size }, 'configuration applied');
      for (const l of listeners) {
        try {
          l(next);
        } catch (err) {
          opts.logger.error({ err: errorMessage(err) }, 'config applied listener failed');
        }
      }
      return { applied: true, hash: next.hash };
    } catch (err) {
      const code = isHybridgateError(err) ? err.code : 'HG_ERR_DP_CONFIG_BUILD';
      const context = isHybridgateError(err) ? { ...err.context } : undefined;
      opts.logger.error(
        { hash: hashes.config, code, err: errorMessage(err) },
        'configuration rejected, keeping the previous one',
      );
      return { applied: false, hash: live?.hash ?? '', error: { code, message: errorMessage(err), context } };
    }
  }

  return {
    apply(config, hashes) {
      const run = queue.then(() => applyNow(config, hashes));
      queue = run.catch(() => undefined);
      return run;
    },
    current: () => state,
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const b of state?.balancers.values() ?? []) b.close?.();
    },
  };
}
