import { createHash } from 'node:crypto';
import { canonicalJson } from './merge-files.js';

/**
 * The hash of the managed part of a control plane's configuration, from `GET /config?select_tags`
 * (or the `config` a selective POST answers with). Timestamps are left out: re-applying the same
 * files keeps them anyway, and a change made through the Admin API changes some other field too.
 */
export function managedHash(exported: unknown): string {
  const stripped = JSON.parse(JSON.stringify(exported ?? {}), (key, value: unknown) =>
    key === 'created_at' || key === 'updated_at' ? undefined : value,
  ) as unknown;
  return createHash('sha256').update(canonicalJson(stripped)).digest('hex').slice(0, 32);
}

/** How many entities an exported document holds (every family list, meta keys aside). */
export function entityCount(exported: unknown): number {
  if (typeof exported !== 'object' || exported === null) return 0;
  let n = 0;
  for (const [key, value] of Object.entries(exported as Record<string, unknown>)) {
    if (!key.startsWith('_') && Array.isArray(value)) n += value.length;
  }
  return n;
}
