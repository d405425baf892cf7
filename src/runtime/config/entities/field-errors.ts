import type { FieldErrors } from '../../errors.js';

/**
 * Kong's field-error body and message, built from a list of (path, message) issues. Arrays are shown as
 * arrays with nulls at the valid positions (what cjson makes of Kong's sparse Lua tables); entity-level
 * errors go under `@entity`.
 */

/** One validation problem: where (path of keys and array indexes) and what. */
export interface FieldIssue {
  path: readonly (string | number)[];
  message: string;
}

type Node = string | FieldErrors | (string | FieldErrors | null)[];

/** Nests issues into Kong's `fields` object; the first message at a path wins. */
export function buildFieldErrors(issues: readonly FieldIssue[]): FieldErrors {
  const root: FieldErrors = {};
  for (const issue of issues) {
    if (issue.path.length === 0) {
      const list = (root['@entity'] ??= []) as string[];
      list.push(issue.message);
      continue;
    }
    insert(root as unknown as Record<string | number, Node | null>, issue.path, issue.message);
  }
  return root;
}

function insert(container: Record<string | number, Node | null> | (Node | null)[], path: readonly (string | number)[], message: string): void {
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const slot = container as Record<string | number, Node | null | undefined>;
  if (Array.isArray(container) && typeof head === 'number') {
    while (container.length < head) container.push(null);
  }
  if (rest.length === 0) {
    if (head === '@entity') {
      const list = (Array.isArray(slot[head]) ? slot[head] : (slot[head] = [])) as string[];
      list.push(message);
    } else if (slot[head] === undefined || slot[head] === null) slot[head] = message;
    return;
  }
  let next = slot[head];
  if (typeof next === 'string') return;
  if (next === undefined || next === null) {
    next = typeof rest[0] === 'number' ? [] : {};
    slot[head] = next;
  }
  insert(next as Record<string, Node | null>, rest, message);
}

/** Kong's dotted field path for messages: `config.minute`, `paths.2` (1-based, as Lua shows arrays). */
export function dottedPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? String(p + 1) : p)).join('.');
}

/** Kong's message: "schema violation (name: msg)" or "N schema violations (a: x; b.c: y)". */
export function schemaViolationMessage(issues: readonly FieldIssue[]): string {
  const entity = issues.filter((i) => i.path.length === 0).map((i) => i.message);
  const fieldIssues = issues
    .filter((i) => i.path.length > 0)
    .map((i) => `${dottedPath(i.path)}: ${i.message}`)
    .sort();
  const all = [...entity, ...fieldIssues];
  const summary = all.join('; ');
  return all.length === 1 ? `schema violation (${summary})` : `${all.length} schema violations (${summary})`;
}
