import { ENTITY_NAMES, type Entity, type EntityName } from '../../../config/entities/definition.js';
import {
  configHashes,
  EntityTextCache,
  updateConfigHashes,
  type ConfigHashes,
} from '../../../config/hash.js';
import type { Change, ChangeEvent, StoreConfig, StoreSnapshot } from '../../store/store.js';

/** One config version as DPs get it, immutable once made (payloads are built from it later). */
export interface VersionedExport {
  version: number;
  /** The export for DPs (disabled services and plugins left out), as v1 sends it. */
  config: Record<string, unknown>;
  hashes: ConfigHashes;
  /** Everything in the store at `version`: deltas need it to find what a disabled service hides. */
  store: StoreConfig;
  /** Names of the plugins the export configures (plugin compatibility), when already known. */
  plugins?: ReadonlySet<string>;
  /** The exported entity `family/id` at this version (null: not exported), without indexing a family. */
  find?(family: string, id: string): Entity | null;
}

type List = readonly Entity[];
const EMPTY: List = Object.freeze([]) as List;
// The export's order (exportDeclarative): ids compared as JS strings.
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const fkId = (e: Entity, field: string): string | null => {
  const v = e[field] as { id?: unknown } | null | undefined;
  return v && typeof v.id === 'string' ? v.id : null;
};

/** Index of `id` in a list sorted by id, or -(insertion point) - 1. */
function search(list: List, id: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmp(list[mid]!.id, id);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

// Past this many changes to one family in one event (a POST /config), rebuilding it beats splicing.
const SPLICE_LIMIT = 64;

/** A new sorted list: `list` with `changes` applied (the old one is kept intact for older versions). */
function applyToList(list: List, changes: readonly Change[]): List {
  if (changes.length > SPLICE_LIMIT) {
    const byId = new Map(list.map((e) => [e.id, e]));
    for (const c of changes) {
      if (c.entity === null) byId.delete(c.id);
      else byId.set(c.id, c.entity);
    }
    return [...byId.values()].sort((a, b) => cmp(a.id, b.id));
  }
  const out = list.slice();
  for (const c of changes) {
    const at = search(out, c.id);
    if (c.entity === null) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = c.entity;
    else out.splice(-at - 1, 0, c.entity);
  }
  return out;
}

/**
 * The CP's export for DPs, kept up to date from the store's change events instead of re-exported per
 * version: each event replaces only the lists of the families it touches (copy-on-write, so earlier
 * versions stay valid for payloads still being built from them) and re-hashes only those families,
 * over cached entity texts. What still costs O(family) per change is the touched family: its list is
 * copied, and its section hash is md5 over its cached texts (routes for a route change; `rest`, i.e.
 * consumers, credentials and the other non-section families, for a consumer change). Hiding rules are
 * those of exportForDataPlanes (node/config-export.ts), which the tests hold it equal to.
 */
export class DataPlaneExport {
  private readonly texts = new EntityTextCache();
  private lists = new Map<EntityName, List>();
  private exported = new Map<EntityName, List>();
  private disabledServices: ReadonlySet<string> = new Set();
  private snapshot: VersionedExport;

  private constructor(version: number, lists: Map<EntityName, List>) {
    this.lists = lists;
    this.disabledServices = disabledServiceIds(lists.get('services') ?? EMPTY);
    for (const f of lists.keys()) this.exported.set(f, this.visible(f));
    const config = this.config();
    this.snapshot = this.freeze(version, config, configHashes(config, this.texts), null);
  }

  /** The export of a full store snapshot (start, or after a gap in the change events). */
  static fromSnapshot(snap: StoreSnapshot): DataPlaneExport {
    const lists = new Map<EntityName, List>();
    for (const family of ENTITY_NAMES) {
      const list = snap.config[family];
      if (Array.isArray(list) && list.length > 0)
        lists.set(
          family,
          [...list].sort((a, b) => cmp(a.id, b.id)),
        );
    }
    return new DataPlaneExport(snap.version, lists);
  }

  /** The current version's export (the same object until the next applied event). */
  current(): VersionedExport {
    return this.snapshot;
  }

  /**
   * Moves to the event's version. False (nothing changed) unless it is exactly the next version: the
   * caller then rebuilds from a snapshot.
   */
  apply(event: ChangeEvent): boolean {
    if (event.version !== this.snapshot.version + 1) return false;
    const byFamily = new Map<EntityName, Change[]>();
    for (const c of event.changes) {
      let list = byFamily.get(c.family);
      if (!list) byFamily.set(c.family, (list = []));
      list.push(c);
    }
    const dirty = new Set<EntityName>();
    for (const [family, changes] of byFamily) {
      const next = applyToList(this.lists.get(family) ?? EMPTY, changes);
      if (next.length === 0) this.lists.delete(family);
      else this.lists.set(family, next);
      dirty.add(family);
    }
    if (dirty.has('services')) {
      const disabled = disabledServiceIds(this.lists.get('services') ?? EMPTY);
      if (!sameSet(disabled, this.disabledServices)) dirty.add('routes').add('plugins');
      this.disabledServices = disabled;
    }
    // A route moving to or from a disabled service changes which plugins its removal hides.
    if (dirty.has('routes') && this.disabledServices.size > 0) dirty.add('plugins');
    const changed: string[] = [];
    for (const family of dirty) {
      const before = this.exported.get(family) ?? EMPTY;
      const after = this.visible(family);
      if (after.length === 0) this.exported.delete(family);
      else this.exported.set(family, after);
      if (after !== before) changed.push(family);
    }
    const config = this.config();
    const hashes = updateConfigHashes(this.snapshot.hashes, config, changed, this.texts);
    const plugins = dirty.has('plugins') ? null : (this.snapshot.plugins ?? null);
    this.snapshot = this.freeze(event.version, config, hashes, plugins);
    return true;
  }

  private config(): Record<string, unknown> {
    const config: Record<string, unknown> = { _format_version: '3.0', _transform: false };
    for (const family of ENTITY_NAMES) {
      const list = this.exported.get(family);
      if (list && list.length > 0) config[family] = list;
    }
    return config;
  }

  /** The exported part of a family's list; the list itself when nothing in it is hidden. */
  private visible(family: EntityName): List {
    const list = this.lists.get(family) ?? EMPTY;
    const disabled = this.disabledServices;
    if (family === 'services') return disabled.size === 0 ? list : list.filter((s) => !disabled.has(s.id));
    if (family === 'routes')
      return disabled.size === 0 ? list : list.filter((r) => !hiddenRoute(r, disabled));
    if (family !== 'plugins') return list;
    const dropped = new Set<string>();
    if (disabled.size > 0)
      for (const r of this.lists.get('routes') ?? EMPTY) if (hiddenRoute(r, disabled)) dropped.add(r.id);
    const hidden = (p: Entity) => {
      if (p.enabled === false) return true;
      const service = fkId(p, 'service');
      const route = fkId(p, 'route');
      return (service !== null && disabled.has(service)) || (route !== null && dropped.has(route));
    };
    return list.some(hidden) ? list.filter((p) => !hidden(p)) : list;
  }

  private freeze(
    version: number,
    config: Record<string, unknown>,
    hashes: ConfigHashes,
    plugins: ReadonlySet<string> | null,
  ): VersionedExport {
    const store: StoreConfig = { _format_version: '3.0', _transform: false };
    for (const [family, list] of this.lists) store[family] = list as Entity[];
    const names = plugins ?? new Set((this.exported.get('plugins') ?? EMPTY).map((p) => String(p.name)));
    return {
      version,
      config,
      hashes,
      store,
      plugins: names,
      find: (family, id) => {
        const list = config[family] as List | undefined;
        if (!list) return null;
        const at = search(list, id);
        return at >= 0 ? list[at]! : null;
      },
    };
  }
}

function hiddenRoute(r: Entity, disabled: ReadonlySet<string>): boolean {
  const service = fkId(r, 'service');
  return service !== null && disabled.has(service);
}

function disabledServiceIds(services: List): ReadonlySet<string> {
  const out = new Set<string>();
  for (const s of services) if (s.enabled === false) out.add(s.id);
  return out;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
