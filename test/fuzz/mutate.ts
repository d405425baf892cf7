import { HOSTILE_VALUES, POLLUTING_KEYS, type Rng } from './prng.js';

/**
 * Structural mutations of a JSON-like document (the declarative seed) and byte-level mutations of a
 * text (conf files, YAML): each call returns a new value and a label saying what was done, so a
 * failing case reads as "set services[0].routes[0].paths to 1e308" rather than as a blob.
 */

type Json = unknown;
type Container = Record<string, Json> | Json[];

const isContainer = (v: Json): v is Container => typeof v === 'object' && v !== null;

/** Every path to a container or leaf in `doc`, root first. */
function paths(
  doc: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (isContainer(doc)) for (const [k, v] of Object.entries(doc)) paths(v, [...prefix, k], out);
  return out;
}

function at(doc: Json, path: readonly (string | number)[]): Json {
  let cur = doc;
  for (const seg of path) cur = (cur as Record<string | number, Json>)[seg];
  return cur;
}

// An own property even for `__proto__`: plain assignment would set the prototype instead.
function put(target: Container, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const show = (path: readonly (string | number)[]) =>
  path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('') || '<root>';

/** Returns a mutated deep copy of `seed` (1-3 mutations) and what was done. */
export function mutateDocument(rng: Rng, seed: Json): { doc: Json; what: string } {
  const doc = structuredClone(seed);
  const done: string[] = [];
  const count = 1 + rng.int(3);
  for (let n = 0; n < count; n++) {
    const all = paths(doc);
    const path = rng.pick(all);
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = path.length === 0 ? undefined : (at(doc, parentPath) as Container);
    const target = at(doc, path);
    const op = rng.int(9);
    if (op === 0 && parent !== undefined && key !== undefined) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
      done.push(`delete ${show(path)}`);
    } else if (op === 1 && parent !== undefined && key !== undefined) {
      const v = rng.pick(HOSTILE_VALUES);
      put(parent, key, structuredClone(v));
      done.push(`set ${show(path)} to ${JSON.stringify(v)?.slice(0, 40)}`);
    } else if (op === 2 && isContainer(target) && !Array.isArray(target)) {
      const k = rng.pick([...POLLUTING_KEYS, rng.string(8), 'id', 'name', '_format_version', 'tags']);
      put(target, k, structuredClone(rng.pick(HOSTILE_VALUES)));
      done.push(`add key ${JSON.stringify(k)} at ${show(path)}`);
    } else if (op === 3 && Array.isArray(target) && target.length > 0) {
      target.push(structuredClone(rng.pick(target)));
      done.push(`duplicate an element of ${show(path)}`);
    } else if (op === 4 && parent !== undefined && key !== undefined) {
      // Move a subtree elsewhere: entities of one family where another is expected.
      const other = at(doc, rng.pick(all));
      put(parent, key, structuredClone(other));
      done.push(`replace ${show(path)} with another subtree`);
    } else if (op === 5 && parent !== undefined && key !== undefined) {
      let nested: Json = 'x';
      for (let d = 0; d < 50 + rng.int(500); d++) nested = rng.chance(0.5) ? [nested] : { a: nested };
      put(parent, key, nested);
      done.push(`nest ${show(path)} deeply`);
    } else if (op === 6 && parent !== undefined && key !== undefined) {
      put(
        parent,
        key,
        Array.from({ length: 500 + rng.int(3000) }, () => (rng.chance(0.5) ? '/p' : 1)),
      );
      done.push(`huge array at ${show(path)}`);
    } else if (op === 7 && typeof target === 'string' && parent !== undefined && key !== undefined) {
      put(
        parent,
        key,
        rng.pick([target + rng.string(), rng.string(), target.toUpperCase(), `${target}\u0000`, '']),
      );
      done.push(`change string ${show(path)}`);
    } else if (parent !== undefined && key !== undefined) {
      const v =
        typeof target === 'number'
          ? String(target)
          : typeof target === 'string'
            ? Number(target) || -1
            : [target];
      put(parent, key, v);
      done.push(`retype ${show(path)}`);
    }
  }
  return { doc, what: done.join('; ') || 'unchanged' };
}

/** Returns a byte-level mutation of `text` (flip, cut, insert, duplicate a line) and what was done. */
export function mutateText(
  rng: Rng,
  text: string,
  inserts: readonly string[],
): { text: string; what: string } {
  const pos = rng.int(text.length + 1);
  switch (rng.int(6)) {
    case 0:
      return { text: text.slice(0, pos), what: `truncate at ${pos}` };
    case 1: {
      const ins = rng.pick(inserts);
      return {
        text: text.slice(0, pos) + ins + text.slice(pos),
        what: `insert ${JSON.stringify(ins).slice(0, 40)} at ${pos}`,
      };
    }
    case 2: {
      const c = String.fromCharCode(rng.int(256));
      return {
        text: text.slice(0, pos) + c + text.slice(pos + 1),
        what: `replace char ${pos} with ${c.charCodeAt(0)}`,
      };
    }
    case 3: {
      const lines = text.split('\n');
      const i = rng.int(lines.length);
      lines.splice(i, 0, lines[i] ?? '');
      return { text: lines.join('\n'), what: `duplicate line ${i + 1}` };
    }
    case 4: {
      const lines = text.split('\n');
      const i = rng.int(lines.length);
      lines.splice(i, 1);
      return { text: lines.join('\n'), what: `drop line ${i + 1}` };
    }
    default:
      return {
        text: Buffer.from(text).reverse().toString('latin1').slice(0, 200) + text,
        what: 'garbage prefix',
      };
  }
}
