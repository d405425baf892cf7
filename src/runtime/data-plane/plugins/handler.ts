import type { ConsumerLookup } from './consumer-index.js';
import type { RequestContext } from './context.js';
import type { Phase } from './phases.js';

/** The plugin entity as it comes in the config (Kong's fields; FKs as `{ id }` or null). */
export interface PluginEntity {
  id: string;
  name: string;
  enabled?: boolean;
  config?: Record<string, unknown> | null;
  protocols?: readonly string[] | null;
  route?: { id: string } | null;
  service?: { id: string } | null;
  consumer?: { id: string } | null;
  [field: string]: unknown;
}

/**
 * What a handler's `prepare` may use when compiling an instance's config at config time (never on
 * the request path): lookups built once per config, and a clock so time-based plugins are testable.
 */
export interface PrepareEnv {
  /** Consumers and credentials of the current config. */
  consumers: ConsumerLookup;
  /** Milliseconds since the epoch; tests inject a fake. */
  now(): number;
}

/**
 * One phase of a plugin. Return nothing for synchronous work (the common case: the runner then does
 * not allocate a promise) or a promise when the plugin must wait (body reads, I/O).
 */
export type PhaseFn<C> = (ctx: RequestContext, conf: C, instance: PreparedPlugin<C>) => void | Promise<void>;

/**
 * A plugin handler: Kong's `handler.lua` (name, VERSION, PRIORITY and phase functions). `prepare`
 * turns an instance's validated config into whatever the phases want (compiled regexes, CIDR sets,
 * counters) once per config; without it, phases receive the config object itself.
 */
export interface PluginHandler<C = unknown> {
  name: string;
  version: string;
  /** Higher runs first within a phase (Kong's PRIORITY). */
  priority: number;
  phases: Partial<Record<Phase, PhaseFn<C>>>;
  prepare?(config: Record<string, unknown>, entity: PluginEntity, env: PrepareEnv): C;
  /** Releases what `prepare` made (timers, counters) when a config swap retires the instance. */
  dispose?(conf: C): void;
}

/** A plugin instance ready to run: its entity, handler, prepared config and protocol mask. */
export interface PreparedPlugin<C = unknown> {
  readonly entity: PluginEntity;
  readonly handler: PluginHandler<C>;
  readonly conf: C;
  /** Bit per protocol (see protocolBit in context.ts); the runner skips a plugin whose mask misses. */
  readonly protocols: number;
  /** Position of the plugin's name in the global priority order (chains switch at consumer auth). */
  readonly rank: number;
}

/** Type-erases a typed handler for registries (phases take the conf their own prepare made). */
export function defineHandler<C>(h: PluginHandler<C>): PluginHandler<unknown> {
  return h as unknown as PluginHandler<unknown>;
}
