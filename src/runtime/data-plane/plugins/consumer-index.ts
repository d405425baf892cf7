import type { Entity } from './context.js';

/**
 * Consumer and credential lookups the auth plugins search, built once per config. Field names match
 * the engine's ConsumerIndex so the proxy can pass the one it already built.
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

/** The `{ id }` of a foreign key, or undefined. */
export function fkId(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string'
    ? (v as { id: string }).id
    : undefined;
}

/** Builds the lookups from a flat config (consumers, keyauth/basicauth credentials, acls). */
export function buildConsumerLookup(config: ConsumerConfig): ConsumerLookup {
  const byId = new Map<string, Entity>();
  const byUsername = new Map<string, Entity>();
  const byCustomId = new Map<string, Entity>();
  for (const c of config.consumers ?? []) {
    byId.set(c.id, c);
    if (typeof c.username === 'string') byUsername.set(c.username, c);
    if (typeof c.custom_id === 'string') byCustomId.set(c.custom_id, c);
  }
  const keyauthByKey = new Map<string, Entity>();
  for (const k of config.keyauth_credentials ?? []) if (typeof k.key === 'string') keyauthByKey.set(k.key, k);
  const basicauthByUsername = new Map<string, Entity>();
  for (const b of config.basicauth_credentials ?? []) {
    if (typeof b.username === 'string') basicauthByUsername.set(b.username, b);
  }
  const aclsByConsumer = new Map<string, Entity[]>();
  for (const a of config.acls ?? []) {
    const id = fkId(a.consumer);
    if (id === undefined) continue;
    const list = aclsByConsumer.get(id);
    if (list === undefined) aclsByConsumer.set(id, [a]);
    else list.push(a);
  }
  return { byId, byUsername, byCustomId, keyauthByKey, basicauthByUsername, aclsByConsumer };
}

/** The consumer named by an `anonymous` setting: an id first, then a username (as Kong 3.x). */
export function findAnonymous(lookup: ConsumerLookup, anonymous: string): Entity | undefined {
  return lookup.byId.get(anonymous) ?? lookup.byUsername.get(anonymous);
}
