import type { Entity, EntityDefinition, EntityName, ForeignKey } from '../../config/entities/definition.js';
import {
  compositeKey,
  compositeValues,
  entityKey,
  idOfEntityKey,
  refId,
  refKey,
  refRange,
  uniqueKey,
} from './keys.js';
import type { Overlay } from './overlay.js';
import type { Change, WriteTxn } from './store.js';
import {
  foreignKeyInvalid,
  foreignKeyRestricted,
  notFound,
  primaryKeyViolation,
  uniqueViolation,
} from './store-errors.js';

/** Definitions the store enforces: unique fields, composite uniques, foreign keys and their onDelete. */
export type Definitions = Readonly<Record<EntityName, EntityDefinition>>;

interface ChildRelation {
  family: EntityName;
  fk: ForeignKey;
}

/** For each family, the (family, foreign key) pairs that reference it: who to cascade to or be refused by. */
export function childRelations(defs: Definitions): Map<EntityName, ChildRelation[]> {
  const out = new Map<EntityName, ChildRelation[]>();
  for (const def of Object.values(defs)) {
    for (const fk of def.foreignKeys) {
      const list = out.get(fk.references) ?? [];
      list.push({ family: def.name, fk });
      out.set(fk.references, list);
    }
  }
  return out;
}

/**
 * The rules of one write transaction, written once over the key layout of keys.ts. It never talks to
 * LMDB: it reads and writes an Overlay, and the store commits the overlay. Every method is synchronous;
 * `asWriteTxn()` gives the async face of the Store interface.
 */
export class TxnCore {
  /** Changes in the order they happened (cascaded children before their parent). */
  readonly changes: Change[] = [];

  constructor(
    private readonly kv: Overlay,
    private readonly defs: Definitions,
    private readonly children: Map<EntityName, ChildRelation[]>,
    private readonly now: () => number,
  ) {}

  private def(family: EntityName): EntityDefinition {
    const def = this.defs[family];
    if (!def) throw new TypeError(`unknown entity family ${String(family)}`);
    return def;
  }

  get(family: EntityName, id: string): Entity | null {
    this.def(family);
    return (this.kv.get(entityKey(family, id)) as Entity | undefined) ?? null;
  }

  getByField(family: EntityName, field: string, value: unknown): Entity | null {
    const def = this.def(family);
    if (field === 'id') return typeof value === 'string' ? this.get(family, value) : null;
    if (!def.uniqueFields.includes(field)) throw new TypeError(`${family}.${field} is not a unique field`);
    const id = this.kv.get(uniqueKey(family, field, value));
    return typeof id === 'string' ? this.get(family, id) : null;
  }

  /** `deferForeignKeys`: replaceAll inserts everything first and checks references once at the end. */
  insert(family: EntityName, entity: Entity, deferForeignKeys = false): Entity {
    const def = this.def(family);
    if (this.get(family, entity.id)) throw primaryKeyViolation(family, entity.id);
    const now = this.now();
    const stored: Entity = {
      ...entity,
      created_at: entity.created_at ?? now,
      updated_at: entity.updated_at ?? now,
    };
    if (!deferForeignKeys) this.checkForeignKeys(def, stored);
    this.checkUniques(def, stored);
    this.writeIndexes(def, stored);
    this.kv.put(entityKey(family, stored.id), stored);
    this.changes.push({ op: 'create', family, id: stored.id, entity: stored, previous: null });
    return stored;
  }

  update(family: EntityName, entity: Entity): Entity {
    const def = this.def(family);
    const previous = this.get(family, entity.id);
    if (!previous) throw notFound(family, entity.id);
    const stored: Entity = {
      ...entity,
      created_at: previous.created_at ?? entity.created_at ?? this.now(),
      updated_at: Math.max(this.now(), Number(previous.updated_at ?? 0)),
    };
    this.checkForeignKeys(def, stored);
    this.checkUniques(def, stored);
    this.removeIndexes(def, previous);
    this.writeIndexes(def, stored);
    this.kv.put(entityKey(family, stored.id), stored);
    this.changes.push({ op: 'update', family, id: stored.id, entity: stored, previous });
    return stored;
  }

  upsert(family: EntityName, entity: Entity): Entity {
    return this.get(family, entity.id) ? this.update(family, entity) : this.insert(family, entity);
  }

  delete(family: EntityName, id: string): Entity | null {
    const def = this.def(family);
    const previous = this.get(family, id);
    if (!previous) return null;
    for (const rel of this.children.get(family) ?? []) {
      const range = refRange(rel.family, rel.fk.field, id);
      const keys = this.kv.keysInRange(range.start, range.end);
      if (keys.length === 0) continue;
      if (rel.fk.onDelete === 'restrict') throw foreignKeyRestricted(family, rel.family);
      for (const key of keys) this.delete(rel.family, idOfEntityKey(key));
    }
    this.removeIndexes(def, previous);
    this.kv.remove(entityKey(family, id));
    this.changes.push({ op: 'delete', family, id, entity: null, previous });
    return previous;
  }

  /** Checks every foreign key of every entity written so far (after a deferred bulk insert). */
  checkAllForeignKeys(): void {
    for (const change of this.changes) {
      if (change.entity) this.checkForeignKeys(this.def(change.family), change.entity);
    }
  }

  private checkForeignKeys(def: EntityDefinition, entity: Entity): void {
    for (const fk of def.foreignKeys) {
      const id = refId(entity[fk.field]);
      if (id !== null && !this.get(fk.references, id)) throw foreignKeyInvalid(fk.field, id, fk.references);
    }
  }

  private checkUniques(def: EntityDefinition, entity: Entity): void {
    for (const field of def.uniqueFields) {
      const value = entity[field];
      if (value === null || value === undefined) continue;
      const owner = this.kv.get(uniqueKey(def.name, field, value));
      if (owner !== undefined && owner !== entity.id) throw uniqueViolation(def.name, { [field]: value });
    }
    if (def.compositeUnique && def.compositeUnique.length > 0) {
      const values = compositeValues(def, entity);
      const owner = this.kv.get(compositeKey(def.name, values));
      if (owner !== undefined && owner !== entity.id) throw uniqueViolation(def.name, values);
    }
  }

  private writeIndexes(def: EntityDefinition, entity: Entity): void {
    for (const field of def.uniqueFields) {
      const value = entity[field];
      if (value !== null && value !== undefined) this.kv.put(uniqueKey(def.name, field, value), entity.id);
    }
    if (def.compositeUnique && def.compositeUnique.length > 0) {
      this.kv.put(compositeKey(def.name, compositeValues(def, entity)), entity.id);
    }
    for (const fk of def.foreignKeys) {
      const parent = refId(entity[fk.field]);
      if (parent !== null) this.kv.put(refKey(def.name, fk.field, parent, entity.id), true);
    }
  }

  private removeIndexes(def: EntityDefinition, entity: Entity): void {
    for (const field of def.uniqueFields) {
      const value = entity[field];
      if (value === null || value === undefined) continue;
      const key = uniqueKey(def.name, field, value);
      if (this.kv.get(key) === entity.id) this.kv.remove(key);
    }
    if (def.compositeUnique && def.compositeUnique.length > 0) {
      const key = compositeKey(def.name, compositeValues(def, entity));
      if (this.kv.get(key) === entity.id) this.kv.remove(key);
    }
    for (const fk of def.foreignKeys) {
      const parent = refId(entity[fk.field]);
      if (parent !== null) this.kv.remove(refKey(def.name, fk.field, parent, entity.id));
    }
  }

  /** The async face handed to `Store.transaction` callbacks. */
  asWriteTxn(): WriteTxn {
    return {
      get: async (family, id) => this.get(family, id),
      getByField: async (family, field, value) => this.getByField(family, field, value),
      insert: async (family, entity) => this.insert(family, entity),
      update: async (family, entity) => this.update(family, entity),
      upsert: async (family, entity) => this.upsert(family, entity),
      delete: async (family, id) => this.delete(family, id),
    };
  }
}
