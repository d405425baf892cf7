import { HybridgateError } from '../../../../shared/errors.js';
import { ENTITY_NAMES } from '../../../config/entities/definition.js';
import type { DeltaChange } from '../../../protocol/v2/messages.js';

/** A delta that cannot be applied to the DP's config (wrong base, unknown family, mismatched id). */
export class DeltaApplyError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HG_ERR_DELTA_APPLY', message, context);
  }
}

type Obj = Record<string, unknown>;
const FAMILIES: ReadonlySet<string> = new Set(ENTITY_NAMES);
const byId = (a: Obj, b: Obj) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0);

/**
 * The config that results from applying `changes` to `base`, in the export's exact shape (families in
 * entity order, each sorted by id, empty ones left out) so its hash can be compared with the CP's.
 * `base` is not modified: only touched families are copied, the others are shared with it.
 */
export function applyDeltaChanges(base: Readonly<Obj>, changes: readonly DeltaChange[]): Obj {
  const touched = new Map<string, Map<string, Obj>>();
  changes.forEach((c, i) => {
    if (!FAMILIES.has(c.family))
      throw new DeltaApplyError(`changes[${i}]: unknown entity family "${c.family}"`, {
        index: i,
        family: c.family,
      });
    if (c.entity !== null && c.entity.id !== c.id) {
      throw new DeltaApplyError(`changes[${i}]: ${c.family} entity id does not match change id "${c.id}"`, {
        index: i,
        family: c.family,
      });
    }
    let index = touched.get(c.family);
    if (!index) {
      index = new Map();
      const list = base[c.family];
      if (list !== undefined && !Array.isArray(list))
        throw new DeltaApplyError(`the current config's "${c.family}" is not a list`, { family: c.family });
      for (const e of (list ?? []) as Obj[]) index.set(String(e.id), e);
      touched.set(c.family, index);
    }
    if (c.op === 'delete') index.delete(c.id);
    else index.set(c.id, c.entity!);
  });
  const out: Obj = {};
  for (const [k, v] of Object.entries(base)) if (!FAMILIES.has(k)) out[k] = v;
  for (const family of ENTITY_NAMES) {
    const index = touched.get(family);
    if (!index) {
      if (base[family] !== undefined) out[family] = base[family];
      continue;
    }
    if (index.size > 0) out[family] = [...index.values()].sort(byId);
  }
  return out;
}
