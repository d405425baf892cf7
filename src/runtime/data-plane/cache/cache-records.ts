import { decryptRecord, encryptRecord } from './cache-crypto.js';

/**
 * How the cache's values are sealed. The head record (`declarative_config`) is a JSON envelope
 * `{mode, data}` as before; entity records (`e/<family>/<id>`, one per entity since protocol v2 writes
 * deltas entity by entity) are the bare bytes: the JSON of the entity, or iv ‖ tag ‖ ciphertext bound
 * (AES-GCM additional data) to the version tag and to their own key, so a record cannot be moved to
 * another entity's key unnoticed.
 */
export interface RecordSeal {
  readonly mode: 'encrypted' | 'unencrypted';
  /** The head record's envelope. */
  sealHead(plain: Buffer): Buffer;
  /** Opens a head envelope; throws when its mode is not this cache's or it does not decrypt. */
  openHead(raw: Buffer): Buffer;
  sealEntity(key: string, entity: unknown): Buffer;
  openEntity(key: string, raw: Buffer): unknown;
}

/** The LMDB key of an entity record. */
export const entityKey = (family: string, id: string): string => `${ENTITY_PREFIX}${family}/${id}`;
/** Entity records sort between these two keys. */
export const ENTITY_PREFIX = 'e/';
export const ENTITY_END = 'e0';

/** The seal for a cache opened with (encrypted) or without (unencrypted) a key. */
export function recordSeal(key: Buffer | null, versionTag: string): RecordSeal {
  const mode = key ? 'encrypted' : 'unencrypted';
  const aad = (k: string) => `${versionTag}\u0000${k}`;
  return {
    mode,
    sealHead(plain) {
      const data = key ? encryptRecord(key, plain, versionTag) : plain;
      return Buffer.from(JSON.stringify({ mode, data: data.toString('base64') }), 'utf8');
    },
    openHead(raw) {
      const envelope = JSON.parse(raw.toString('utf8')) as { mode?: string; data?: string };
      if (envelope.mode !== 'encrypted' && envelope.mode !== 'unencrypted')
        throw new Error(`unknown record mode ${JSON.stringify(envelope.mode)}`);
      if (envelope.mode !== mode)
        throw new Error(`the cache is ${envelope.mode} but data_plane_config_cache_mode is ${mode}`);
      const data = Buffer.from(String(envelope.data), 'base64');
      return key ? decryptRecord(key, data, versionTag) : data;
    },
    sealEntity(k, entity) {
      const plain = Buffer.from(JSON.stringify(entity), 'utf8');
      return key ? encryptRecord(key, plain, aad(k)) : plain;
    },
    openEntity(k, raw) {
      const plain = key ? decryptRecord(key, raw, aad(k)) : raw;
      return JSON.parse(plain.toString('utf8')) as unknown;
    },
  };
}
