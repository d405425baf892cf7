/**
 * Kong's request-transformer value templates, the safe subset: `$(headers.name)`,
 * `$(headers["name"])`, `$(query_params.name)`, `$(uri_captures.name)` / `$(uri_captures[1])`, each
 * optionally `or "default"`. Kong evaluates arbitrary Lua there; we do not evaluate code, and a
 * template outside this subset is rejected at config time with the offending expression.
 */
import type { RequestContext } from '../context.js';

type Part = string | { source: 'headers' | 'query_params' | 'uri_captures'; key: string; fallback: string };

/** A compiled value: literal text and lookups, rendered per request. */
export type Template = readonly Part[];

const EXPR =
  /^\s*(headers|query_params|uri_captures)\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\])\s*(?:or\s+(?:"([^"]*)"|'([^']*)'))?\s*$/;

// The ')' closing the '$(' whose content starts at `from` (nested parentheses and quotes skipped).
function closingParen(s: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Compiles a value; null when it holds no template (the common case: used as is). */
export function compileTemplate(value: string): Template | null {
  if (!value.includes('$(')) return null;
  const parts: Part[] = [];
  let rest = value;
  for (;;) {
    const start = rest.indexOf('$(');
    if (start < 0) break;
    const end = closingParen(rest, start + 2);
    if (end < 0) throw new TypeError(`unclosed template in '${value}'`);
    if (start > 0) parts.push(rest.slice(0, start));
    const expr = rest.slice(start + 2, end);
    const m = EXPR.exec(expr);
    if (m === null) {
      throw new TypeError(
        `unsupported template '$(${expr})' in '${value}' (expected headers.x, query_params.x or uri_captures.x, optionally: or "default")`,
      );
    }
    const source = m[1] as 'headers' | 'query_params' | 'uri_captures';
    const key = m[2] ?? m[3] ?? m[4] ?? m[5] ?? '';
    parts.push({ source, key: source === 'headers' ? key.toLowerCase() : key, fallback: m[6] ?? m[7] ?? '' });
    rest = rest.slice(end + 1);
  }
  if (rest !== '') parts.push(rest);
  return parts;
}

function lookup(ctx: RequestContext, source: string, key: string): string | undefined {
  if (source === 'headers') return ctx.header(key);
  if (source === 'query_params') {
    const v = ctx.query()[key];
    return Array.isArray(v) ? v[0] : v;
  }
  const caps = ctx.uriCaptures;
  if (caps === null) return undefined;
  if (/^\d+$/.test(key)) return caps.unnamed[Number(key) - 1];
  return caps.named[key];
}

/** Renders a compiled template against the downstream request. */
export function renderTemplate(t: Template, ctx: RequestContext): string {
  let out = '';
  for (const p of t) {
    if (typeof p === 'string') out += p;
    else out += lookup(ctx, p.source, p.key) ?? p.fallback;
  }
  return out;
}
