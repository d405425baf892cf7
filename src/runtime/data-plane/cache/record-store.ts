import type { RootDatabase } from 'lmdb';
import type { CachedConfig, CachedDelta } from './config-cache.js';
import { ENTITY_END, ENTITY_PREFIX, entityKey, type RecordSeal } from './cache-records.js';

/** The head record: hashes, version, and the config's top-level keys (Kong's key names kept). */
export const RECORD_KEY = 'declarative_config';
/** The config hash alone, written with the head (a reader can compare without decrypting). */
export const HASH_KEY = 'declarative_config:hash';
/** The runtime's major.minor that wrote the cache. */
export const TAG_KEY = 'validation_tag';

type Obj = Record<string, unknown>;

/** The head of a cache written entity by entity. */
interface Head {
  format: 2;
  hashes: CachedConfig['hashes'];
  version?: number;
  /** Every top-level key of the config, in order (the reassembled config keeps it). */
  keys: string[];
  /** Top-level values kept in the head: scalars, and lists that are not entities with unique ids. */
  inline: Obj;
}

/** Reads and writes the cache's records; every method runs inside the caller's LMDB transaction. */
export interface RecordStore {
  /** The config in the cache (head plus entity records); throws when a record is unreadable. */
  read(): CachedConfig;
  /** Rewrites everything: entity records, head, hash, tag. */
  writeFull(entry: CachedConfig): void;
  /** Writes a delta's entities and the new head; false (nothing written) when a full write is needed. */
  writeDelta(delta: CachedDelta): boolean;
}

// A family goes to entity records only if each element is an object with its own, unique string id.
function isEntityList(v: unknown): v is Obj[] {
  if (!Array.isArray(v)) return false;
  const ids = new Set<string>();
  for (const e of v as unknown[]) {
    const id = (e as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id.length === 0 || ids.has(id) || id.length > 256) return false;
    ids.add(id);
  }
  return true;
}

// The export's order within a family (exportDeclarative): ids compared as JS strings.
const byId = (a: Obj, b: Obj) => {
  const x = a.id as string;
  const y = b.id as string;
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The record store over an open LMDB environment and this cache's seal. */
export function createRecordStore(
  db: RootDatabase<Buffer, string>,
  seal: RecordSeal,
  versionTag: string,
): RecordStore {
  const readHead = (): Head | CachedConfig | null => {
    const raw = db.get(RECORD_KEY);
    if (!raw) return null;
    return JSON.parse(seal.openHead(raw).toString('utf8')) as Head | CachedConfig;
  };
  const writeHead = (head: Head) => {
    db.put(TAG_KEY, Buffer.from(versionTag, 'utf8'));
    db.put(RECORD_KEY, seal.sealHead(Buffer.from(JSON.stringify(head), 'utf8')));
    db.put(HASH_KEY, Buffer.from(head.hashes.config, 'utf8'));
  };

  return {
    read() {
      const head = readHead();
      if (head === null) throw new Error('no head record');
      // The format before entity records: the whole config in the head.
      if ((head as Head).format !== 2) return head as CachedConfig;
      const h = head as Head;
      const families = new Map<string, Obj[]>();
      for (const { key, value } of db.getRange({ start: ENTITY_PREFIX, end: ENTITY_END })) {
        const k = String(key);
        const slash = k.indexOf('/', ENTITY_PREFIX.length);
        if (slash < 0) throw new Error(`malformed entity key ${JSON.stringify(k)}`);
        const family = k.slice(ENTITY_PREFIX.length, slash);
        const entity = seal.openEntity(k, value) as Obj;
        if (entity?.id !== k.slice(slash + 1)) throw new Error(`entity record ${k} holds another id`);
        let list = families.get(family);
        if (!list) families.set(family, (list = []));
        list.push(entity);
      }
      const config: Obj = {};
      for (const k of h.keys) {
        if (Object.hasOwn(h.inline, k)) config[k] = h.inline[k];
        // LMDB orders keys bytewise; the export orders ids as JS strings (the same for UUIDs).
        else config[k] = (families.get(k) ?? []).sort(byId);
        families.delete(k);
      }
      if (families.size > 0)
        throw new Error(`entity records of unknown families: ${[...families.keys()].join(', ')}`);
      return { config, hashes: h.hashes, ...(h.version !== undefined ? { version: h.version } : {}) };
    },

    writeFull(entry) {
      for (const k of [...db.getKeys({ start: ENTITY_PREFIX, end: ENTITY_END })]) db.remove(k);
      const inline: Obj = {};
      for (const [k, v] of Object.entries(entry.config)) {
        if (!isEntityList(v)) {
          inline[k] = v;
          continue;
        }
        for (const e of v) {
          const key = entityKey(k, e.id as string);
          db.put(key, seal.sealEntity(key, e));
        }
      }
      writeHead({
        format: 2,
        hashes: entry.hashes,
        ...(entry.version !== undefined ? { version: entry.version } : {}),
        keys: Object.keys(entry.config),
        inline,
      });
    },

    writeDelta({ fromVersion, changes, entry }) {
      let head: Head | CachedConfig | null;
      try {
        head = readHead();
      } catch {
        return false;
      }
      if (head === null || (head as Head).format !== 2 || (head as Head).version !== fromVersion)
        return false;
      const h = head as Head;
      const touched = new Set(changes.map((c) => c.family));
      // A touched family kept inline (not entity records) cannot be patched record by record.
      for (const f of touched) if (Object.hasOwn(h.inline, f)) return false;
      for (const c of changes) {
        const key = entityKey(c.family, c.id);
        if (c.op === 'delete') db.remove(key);
        else db.put(key, seal.sealEntity(key, c.entity));
      }
      const inline: Obj = {};
      for (const [k, v] of Object.entries(entry.config)) {
        if (Object.hasOwn(h.inline, k) || !Array.isArray(v)) inline[k] = v;
      }
      writeHead({
        format: 2,
        hashes: entry.hashes,
        version: entry.version,
        keys: Object.keys(entry.config),
        inline,
      });
      return true;
    },
  };
}
