import { createHash } from 'node:crypto';
import type { ConfigHashes, DataPlaneConfig } from './types.js';

/** Kong's hash of an absent config (DECLARATIVE_EMPTY_CONFIG_HASH). */
export const EMPTY_CONFIG_HASH = '0'.repeat(32);

const SECTIONS = ['routes', 'services', 'plugins', 'upstreams', 'targets'] as const;

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/**
 * Sub-hashes over JSON for configs that arrive without hashes when no canonical hasher is injected.
 * They detect change, which is all the engine needs; they are NOT Kong's canonical config hash (that
 * is `config/hash.ts`, which the caller should pass through `createDataPlaneEngine({ computeHashes })`).
 */
export function fallbackHashes(config: DataPlaneConfig): ConfigHashes {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!(SECTIONS as readonly string[]).includes(k)) rest[k] = v;
  const part = (v: unknown): string => (v === undefined ? EMPTY_CONFIG_HASH : md5(JSON.stringify(v)));
  const h = {
    routes: part(config.routes),
    services: part(config.services),
    plugins: part(config.plugins),
    upstreams: part(config.upstreams),
    targets: part(config.targets),
    rest: part(rest),
  };
  return { ...h, config: md5(h.routes + h.services + h.plugins + h.upstreams + h.targets + h.rest) };
}
