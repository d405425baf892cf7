import { buildConsumerIndex } from '../engine/consumer-index.js';
import type { Entity } from './context.js';

/**
 * Consumer and credential lookups the auth plugins search, built once per config. The shape is the
 * engine's ConsumerIndex (one builder for both: the engine's `buildConsumerIndex`), so the proxy can
 * pass the index the engine already built.
 */
export interface ConsumerLookup {
  byId: ReadonlyMap<string, Entity>;
  byUsername: ReadonlyMap<string, Entity>;
  byCustomId?: ReadonlyMap<string, Entity>;
  keyauthByKey: ReadonlyMap<string, Entity>;
  basicauthByUsername: ReadonlyMap<string, Entity>;
  aclsByConsumer: ReadonlyMap<string, Entity[]>;
}

/** The flat config families the lookup reads. */
export interface ConsumerConfig {
  consumers?: Entity[];
  keyauth_credentials?: Entity[];
  basicauth_credentials?: Entity[];
  acls?: Entity[];
}

/** The `{ id }` of a foreign key (or a bare id string), or undefined. */
export function fkId(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string'
    ? (v as { id: string }).id
    : undefined;
}

/** Builds the lookups from a flat config (consumers, keyauth/basicauth credentials, acls). */
export function buildConsumerLookup(config: ConsumerConfig): ConsumerLookup {
  return buildConsumerIndex(config as Parameters<typeof buildConsumerIndex>[0]);
}

/** The consumer named by an `anonymous` setting: an id first, then a username (as Kong 3.x). */
export function findAnonymous(lookup: ConsumerLookup, anonymous: string): Entity | undefined {
  return lookup.byId.get(anonymous) ?? lookup.byUsername.get(anonymous);
}
