import type { ConfigEntity, ConsumerIndex, DataPlaneConfig } from './types.js';

function fkId(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string'
    ? (v as { id: string }).id
    : undefined;
}

/** Consumer and credential lookups by the keys auth plugins search on, built once per config. */
export function buildConsumerIndex(config: DataPlaneConfig): ConsumerIndex {
  const byId = new Map<string, ConfigEntity>();
  const byUsername = new Map<string, ConfigEntity>();
  const byCustomId = new Map<string, ConfigEntity>();
  for (const c of config.consumers ?? []) {
    byId.set(c.id, c);
    if (typeof c.username === 'string') byUsername.set(c.username, c);
    if (typeof c.custom_id === 'string') byCustomId.set(c.custom_id, c);
  }
  const keyauthByKey = new Map<string, ConfigEntity>();
  for (const k of config.keyauth_credentials ?? []) if (typeof k.key === 'string') keyauthByKey.set(k.key, k);
  const basicauthByUsername = new Map<string, ConfigEntity>();
  for (const b of config.basicauth_credentials ?? []) {
    if (typeof b.username === 'string') basicauthByUsername.set(b.username, b);
  }
  const aclsByConsumer = new Map<string, ConfigEntity[]>();
  for (const a of config.acls ?? []) {
    const id = fkId(a.consumer);
    if (id === undefined) continue;
    const list = aclsByConsumer.get(id);
    if (list === undefined) aclsByConsumer.set(id, [a]);
    else list.push(a);
  }
  return { byId, byUsername, byCustomId, keyauthByKey, basicauthByUsername, aclsByConsumer };
}
