import {
  ENTITY_NAMES,
  type Entity,
  type EntityDefinition,
  type EntityName,
} from '../../../config/entities/definition.js';
import { compositeKey, compositeValues, entityKey, refId, refKey, uniqueKey } from '../keys.js';
import type { KvBase } from '../overlay.js';
import type { Change, StoreConfig } from '../store.js';
import type { Definitions } from '../write-txn.js';

/**
 * This control plane's copy of the committed store in LMDB's key layout (keys.ts), at `version`.
 * Write transactions run the store's shared rules (write-txn.ts TxnCore) over it while holding the
 * database's version row lock, after catching it up to the locked version, so their checks see exactly
 * what PostgreSQL holds. It also keeps the last good snapshot for data planes during an outage.
 */

/** One index entry an entity owns: unique value → id, composite unique → id, reference → true. */
export interface IndexEntry {
  key: string;
  value: string | true;
  /** Unique entries are removed only while the entity still owns them (another may have taken it). */
  unique: boolean;
}

/** The index entries of `entity` as TxnCore writes them. */
export function indexEntries(def: EntityDefinition, entity: Entity): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (const field of def.uniqueFields) {
    const value = entity[field];
    if (value !== null && value !== undefined)
      out.push({ key: uniqueKey(def.name, field, value), value: entity.id, unique: true });
  }
  if (def.compositeUnique && def.compositeUnique.length > 0) {
    out.push({ key: compositeKey(def.name, compositeValues(def, entity)), value: entity.id, unique: true });
  }
  for (const fk of def.foreignKeys) {
    const parent = refId(entity[fk.field]);
    if (parent !== null)
      out.push({ key: refKey(def.name, fk.field, parent, entity.id), value: true, unique: false });
  }
  return out;
}

// `r/<family>/<field>/<parent>/` → the reference keys under it; TxnCore only ever scans such a range.
function refGroup(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** The in-memory copy (see the file comment). */
export class Mirror implements KvBase {
  version = 0;
  private readonly kv = new Map<string, unknown>();
  private readonly refs = new Map<string, Set<string>>();
  private readonly byFamily = new Map<EntityName, Map<string, Entity>>();

  constructor(private readonly defs: Definitions) {}

  get(key: string): unknown {
    return this.kv.get(key);
  }

  keysInRange(start: string, end: string): string[] {
    if (start.startsWith('r/') && start.endsWith('/') && end === `${start.slice(0, -1)}0`) {
      return [...(this.refs.get(start) ?? [])].sort();
    }
    return [...this.kv.keys()].filter((k) => k >= start && k < end).sort();
  }

  /** Every key and value, for turning a cleared overlay into the rows that really change. */
  entries(): IterableIterator<[string, unknown]> {
    return this.kv.entries();
  }

  /** Replaces everything with `config` at `version` (a full load). */
  load(version: number, config: StoreConfig): void {
    this.kv.clear();
    this.refs.clear();
    this.byFamily.clear();
    for (const family of ENTITY_NAMES) for (const entity of config[family] ?? []) this.put(family, entity);
    this.version = version;
  }

  /** Applies one committed transaction's changes (in their order) and moves to `version`. */
  apply(version: number, changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.previous) this.remove(c.family, c.previous);
      if (c.entity) this.put(c.family, c.entity);
    }
    this.version = version;
  }

  /** The entities of `family`, by id. */
  family(family: EntityName): ReadonlyMap<string, Entity> {
    return this.byFamily.get(family) ?? new Map();
  }

  /** Every entity keyed `family/id`, families in definition order and ids sorted (replaceAll's "before"). */
  entityMap(): Map<string, Entity> {
    const out = new Map<string, Entity>();
    for (const family of ENTITY_NAMES) {
      const rows = this.byFamily.get(family);
      if (!rows || !this.defs[family]) continue;
      for (const id of [...rows.keys()].sort()) out.set(`${family}/${id}`, rows.get(id) as Entity);
    }
    return out;
  }

  /** The declarative form, as the store's snapshot() builds it (families in order, ids sorted). */
  config(): StoreConfig {
    const config: StoreConfig = { _format_version: '3.0', _transform: false };
    for (const family of ENTITY_NAMES) {
      const rows = this.byFamily.get(family);
      if (!rows || rows.size === 0 || !this.defs[family]) continue;
      config[family] = [...rows.keys()].sort().map((id) => rows.get(id) as Entity);
    }
    return config;
  }

  private put(family: EntityName, entity: Entity): void {
    const def = this.defs[family];
    if (!def) return; // a family this build does not know: kept in the database, invisible here
    this.kv.set(entityKey(family, entity.id), entity);
    let rows = this.byFamily.get(family);
    if (!rows) this.byFamily.set(family, (rows = new Map()));
    rows.set(entity.id, entity);
    for (const e of indexEntries(def, entity)) {
      this.kv.set(e.key, e.value);
      if (!e.unique) {
        const group = refGroup(e.key);
        let set = this.refs.get(group);
        if (!set) this.refs.set(group, (set = new Set()));
        set.add(e.key);
      }
    }
  }

  private remove(family: EntityName, entity: Entity): void {
    const def = this.defs[family];
    if (!def) return;
    this.kv.delete(entityKey(family, entity.id));
    this.byFamily.get(family)?.delete(entity.id);
    for (const e of indexEntries(def, entity)) {
      if (e.unique) {
        if (this.kv.get(e.key) === entity.id) this.kv.delete(e.key);
        continue;
      }
      this.kv.delete(e.key);
      const group = refGroup(e.key);
      const set = this.refs.get(group);
      set?.delete(e.key);
      if (set && set.size === 0) this.refs.delete(group);
    }
  }
}
