/**
 * Resolves which plugin instances apply to a request, with Kong's precedence when several instances
 * of one plugin could apply (most specific wins):
 *   route+service+consumer > route+consumer > service+consumer > route+service > consumer > route >
 *   service > global.
 * Chains are computed once per (route, service, consumer) and cached for the life of the config; ids
 * that scope no plugin at all are folded to "none" first, so the cache holds few distinct chains.
 */
import { getPluginSchema } from '../../plugins/registry.js';
import type { Entity } from './context.js';
import { protocolBit } from './context.js';
import { buildConsumerLookup, fkId, type ConsumerConfig, type ConsumerLookup } from './consumer-index.js';
import type { PhaseFn, PluginEntity, PluginHandler, PrepareEnv, PreparedPlugin } from './handler.js';
import { PHASES } from './phases.js';
import { PluginConfigError } from './plugin-error.js';
import { BUNDLED_HANDLERS } from './bundled-handlers.js';

/** One runnable step of a chain: the instance and its function for that phase. */
export interface ChainStep {
  readonly plugin: PreparedPlugin;
  readonly fn: PhaseFn<unknown>;
}

/** The plugins that apply to one (route, service, consumer), per phase, in priority order. */
export interface PluginChain {
  readonly key: string;
  /** Steps per phase, indexed like PHASES. */
  readonly phases: readonly (readonly ChainStep[])[];
  /** Every instance of the chain in priority order. */
  readonly plugins: readonly PreparedPlugin[];
}

/** The per-config plugin index the proxy asks for chains. */
export interface PluginIndex {
  /** Global plugins only (rewrite and certificate phases, and requests no route matched). */
  readonly global: PluginChain;
  /** The chain for a request; ids may be null. Cached: the same chain object for the same scope. */
  chainFor(routeId: string | null, serviceId: string | null, consumerId: string | null): PluginChain;
  /** Consumer and credential lookups built for this config. */
  readonly consumers: ConsumerLookup;
  /** Instances left out, with why (plugin not enabled on this node, no handler, disabled). */
  readonly skipped: readonly { id: string; name: string; reason: string }[];
  /** Releases what handlers prepared (counters, timers): call when the config is swapped out. */
  close(): void;
}

/** Options for buildPluginIndex (tests inject handlers and a clock). */
export interface PluginIndexOptions {
  handlers?: Readonly<Record<string, PluginHandler<unknown>>>;
  now?: () => number;
  /** Reuse lookups the engine already built. */
  consumers?: ConsumerLookup;
  /** Bound on cached chains; the cache restarts when full (scopes are few after folding). */
  maxChains?: number;
}

/** The config families the index reads. */
export interface PluginConfig extends ConsumerConfig {
  plugins?: Entity[];
}

const NONE = '';
// Precedence of scopes, most specific first; each is [route?, service?, consumer?].
const COMBOS: readonly (readonly [boolean, boolean, boolean])[] = [
  [true, true, true],
  [true, false, true],
  [false, true, true],
  [true, true, false],
  [false, false, true],
  [true, false, false],
  [false, true, false],
  [false, false, false],
];

function comboKey(r: string, s: string, c: string): string {
  return r + '|' + s + '|' + c;
}

function protocolMask(p: PluginEntity, fallback: readonly string[]): number {
  const list = Array.isArray(p.protocols) && p.protocols.length > 0 ? p.protocols : fallback;
  let mask = 0;
  for (const name of list) mask |= protocolBit(String(name));
  return mask;
}

/**
 * Builds the plugin index of one config. `enabledPlugins` is the node's `plugins` conf (names); an
 * instance of a plugin not in it is skipped, as is a disabled one. Throws PluginConfigError when an
 * enabled instance's config does not validate.
 */
export function buildPluginIndex(
  config: PluginConfig,
  enabledPlugins: Iterable<string>,
  opts: PluginIndexOptions = {},
): PluginIndex {
  const handlers = opts.handlers ?? BUNDLED_HANDLERS;
  // Kong's `plugins = bundled` stands for every handler this build ships (the conf loader expands it
  // too; callers passing raw conf values still get the right set).
  const enabled = new Set(
    [...enabledPlugins].flatMap((n) => (n === 'bundled' ? Object.keys(handlers) : [n])),
  );
  const consumers = opts.consumers ?? buildConsumerLookup(config);
  const env: PrepareEnv = { consumers, now: opts.now ?? Date.now };
  const skipped: { id: string; name: string; reason: string }[] = [];

  // Global priority order of plugin names: chains built later merge by this rank.
  const names = Object.keys(handlers).sort(
    (a, b) => handlers[b]!.priority - handlers[a]!.priority || (a < b ? -1 : 1),
  );
  const rankOf = new Map(names.map((n, i) => [n, i]));

  const byName = new Map<string, Map<string, PreparedPlugin>>();
  const scopedRoutes = new Set<string>();
  const scopedServices = new Set<string>();
  const scopedConsumers = new Set<string>();
  const prepared: PreparedPlugin[] = [];
  for (const raw of config.plugins ?? []) {
    const p = raw as PluginEntity;
    const name = String(p.name);
    if (p.enabled === false) {
      skipped.push({ id: p.id, name, reason: 'disabled' });
      continue;
    }
    const handler = handlers[name];
    if (!enabled.has(name) || handler === undefined) {
      skipped.push({
        id: p.id,
        name,
        reason: handler === undefined ? 'no handler' : 'not enabled on this node',
      });
      continue;
    }
    const schema = getPluginSchema(name);
    let conf: Record<string, unknown> = (p.config ?? {}) as Record<string, unknown>;
    if (schema !== undefined) {
      const parsed = schema.config.safeParse(conf);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${['config', ...i.path].join('.')}: ${i.message}`);
        throw new PluginConfigError(`invalid config for plugin '${name}' (${p.id}): ${issues.join('; ')}`, {
          plugin: name,
          id: p.id,
          issues,
        });
      }
      conf = parsed.data;
    }
    let ready: unknown;
    try {
      ready = handler.prepare ? handler.prepare(conf, p, env) : conf;
    } catch (err) {
      throw new PluginConfigError(
        `plugin '${name}' (${p.id}) rejected its config: ${(err as Error).message}`,
        {
          plugin: name,
          id: p.id,
        },
        { cause: err },
      );
    }
    const instance: PreparedPlugin = {
      entity: p,
      handler,
      conf: ready,
      protocols: protocolMask(p, schema?.defaultProtocols ?? ['http', 'https', 'grpc', 'grpcs']),
      rank: rankOf.get(name)!,
    };
    prepared.push(instance);
    const r = fkId(p.route) ?? NONE;
    const s = fkId(p.service) ?? NONE;
    const c = fkId(p.consumer) ?? NONE;
    if (r !== NONE) scopedRoutes.add(r);
    if (s !== NONE) scopedServices.add(s);
    if (c !== NONE) scopedConsumers.add(c);
    let scopes = byName.get(name);
    if (scopes === undefined) byName.set(name, (scopes = new Map()));
    // Two instances with one scope cannot pass the store's unique check; keep the first if they do.
    const key = comboKey(r, s, c);
    if (!scopes.has(key)) scopes.set(key, instance);
  }

  const ordered = [...byName.keys()].sort((a, b) => rankOf.get(a)! - rankOf.get(b)!);

  function resolve(r: string, s: string, c: string): PluginChain {
    const plugins: PreparedPlugin[] = [];
    for (const name of ordered) {
      const scopes = byName.get(name)!;
      for (const [useR, useS, useC] of COMBOS) {
        if ((useR && r === NONE) || (useS && s === NONE) || (useC && c === NONE)) continue;
        const hit = scopes.get(comboKey(useR ? r : NONE, useS ? s : NONE, useC ? c : NONE));
        if (hit !== undefined) {
          plugins.push(hit);
          break;
        }
      }
    }
    const phases = PHASES.map((phase) => {
      const steps: ChainStep[] = [];
      for (const plugin of plugins) {
        const fn = plugin.handler.phases[phase];
        if (fn !== undefined) steps.push({ plugin, fn });
      }
      return steps;
    });
    return { key: comboKey(r, s, c), phases, plugins };
  }

  const maxChains = opts.maxChains ?? 10_000;
  const cache = new Map<string, PluginChain>();
  const global = resolve(NONE, NONE, NONE);
  cache.set(global.key, global);

  return {
    global,
    consumers,
    skipped,
    chainFor(routeId, serviceId, consumerId) {
      const r = routeId !== null && scopedRoutes.has(routeId) ? routeId : NONE;
      const s = serviceId !== null && scopedServices.has(serviceId) ? serviceId : NONE;
      const c = consumerId !== null && scopedConsumers.has(consumerId) ? consumerId : NONE;
      const key = comboKey(r, s, c);
      let chain = cache.get(key);
      if (chain === undefined) {
        if (cache.size >= maxChains) {
          cache.clear();
          cache.set(global.key, global);
        }
        chain = resolve(r, s, c);
        cache.set(key, chain);
      }
      return chain;
    },
    close() {
      for (const p of prepared) {
        try {
          p.handler.dispose?.(p.conf);
        } catch {
          // A failing dispose must not keep the other instances' resources alive.
        }
      }
      cache.clear();
    },
  };
}
