/**
 * Kong's transformer operations on a flat string map (headers, query args, form/JSON bodies), in
 * Kong's order: remove, rename, replace, add, append. Config pairs are `name:value`, split once at
 * config time.
 */

/** One `name:value` pair. */
export type Pair = readonly [name: string, value: string];

/** The five operation lists of one target (headers, querystring or body). */
export interface TransformOps {
  remove: readonly string[];
  rename: readonly Pair[];
  replace: readonly Pair[];
  add: readonly Pair[];
  append: readonly Pair[];
}

/** Splits `name:value` at the first colon. */
export function splitPair(s: string): Pair {
  const i = s.indexOf(':');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Builds ops from a transformer config section; `lower` lower-cases names (headers). */
export function opsFrom(config: Record<string, unknown>, field: string, lower: boolean): TransformOps {
  const names = (section: string) => {
    const v = (config[section] as Record<string, unknown> | undefined)?.[field];
    return Array.isArray(v) ? (v as string[]) : [];
  };
  const low = (s: string) => (lower ? s.toLowerCase() : s);
  const pairs = (section: string) =>
    names(section).map((s) => {
      const [n, v] = splitPair(s);
      return [low(n), v] as Pair;
    });
  return {
    remove: names('remove').map(low),
    rename: pairs('rename'),
    replace: pairs('replace'),
    add: pairs('add'),
    append: pairs('append'),
  };
}

/** Whether any operation is configured. */
export function hasOps(ops: TransformOps): boolean {
  return ops.remove.length + ops.rename.length + ops.replace.length + ops.add.length + ops.append.length > 0;
}

/**
 * Applies ops to a map in place. `convert` turns a config string into the stored value (JSON types);
 * appending to an existing value makes an array, as Kong does for repeated headers and args.
 */
export function applyOps(
  map: Record<string, unknown>,
  ops: TransformOps,
  convert: (name: string, value: string, op: 'replace' | 'add' | 'append') => unknown = (_n, v) => v,
): void {
  for (const name of ops.remove) delete map[name];
  for (const [from, to] of ops.rename) {
    if (map[from] !== undefined) {
      map[to] = map[from];
      delete map[from];
    }
  }
  for (const [name, value] of ops.replace)
    if (map[name] !== undefined) map[name] = convert(name, value, 'replace');
  for (const [name, value] of ops.add) if (map[name] === undefined) map[name] = convert(name, value, 'add');
  for (const [name, value] of ops.append) {
    const v = convert(name, value, 'append');
    const cur = map[name];
    if (cur === undefined) map[name] = v;
    else if (Array.isArray(cur)) cur.push(v);
    else map[name] = [cur, v];
  }
}
