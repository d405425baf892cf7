import { DbError } from '../../errors.js';
import { AdminBodyError, invalidOptions } from './admin-errors.js';

/**
 * Query parameters of a collection listing, as Kong's kong/api/endpoints.lua reads them: `size`
 * (default 100, at most 1000), an opaque `offset`, and `tags` (`a,b` = all of them, `a/b` = any).
 */

/** Kong's page size bounds. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** The parsed listing query. `raw*` keep what the client sent, to carry it into `next`. */
export interface ListQuery {
  size: number;
  offset: string | null;
  tags: string[] | undefined;
  tagsMode: 'and' | 'or';
  rawSize: string | undefined;
  rawTags: string | undefined;
}

// Kong's tag charset: printable ASCII except `,` and `/` (the filter separators), or any non-ASCII.
const TAG_RE =
  /^[\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\u{10ffff}]+(?: [\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\u{10ffff}]+)*$/u;

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  // `?size=1&size=2` or `?size[a]=1`: not a value Kong would accept either.
  throw new AdminBodyError(400, invalidOptions({ [name]: 'expected a single value' }).body);
}

function parseTags(raw: string): { tags: string[]; mode: 'and' | 'or' } {
  const hasAnd = raw.includes(',');
  const hasOr = raw.includes('/');
  const tags = raw.split(hasOr ? '/' : ',');
  if ((hasAnd && hasOr) || tags.some((t) => !TAG_RE.test(t))) {
    const { status, body } = invalidOptions({ tags: 'invalid filter syntax' });
    throw new AdminBodyError(status, body);
  }
  return { tags, mode: hasOr ? 'or' : 'and' };
}

/** Parses `size`, `offset` and `tags`; throws Kong's errors (code 9 size, code 11 tags). */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const rawSize = single(query, 'size');
  let size = DEFAULT_PAGE_SIZE;
  if (rawSize !== undefined) {
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(rawSize)) throw new DbError('INVALID_SIZE', 'size must be a number');
    size = Number(rawSize);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new DbError('INVALID_SIZE', `size must be an integer between 1 and ${MAX_PAGE_SIZE}`);
    }
  }
  const rawOffset = single(query, 'offset');
  const rawTags = single(query, 'tags');
  const parsedTags = rawTags === undefined ? undefined : parseTags(rawTags);
  return {
    size,
    offset: rawOffset === undefined || rawOffset === '' ? null : rawOffset,
    tags: parsedTags?.tags,
    tagsMode: parsedTags?.mode ?? 'and',
    rawSize,
    rawTags,
  };
}

/** Kong's `next` link: the same path with the new offset, carrying `size` and `tags`; null on the last page. */
export function nextLink(path: string, offset: string | null, q: ListQuery): string | null {
  if (offset === null) return null;
  let link = `${path}?offset=${encodeURIComponent(offset)}`;
  if (q.rawSize !== undefined) link += `&size=${encodeURIComponent(q.rawSize)}`;
  if (q.rawTags !== undefined) link += `&tags=${encodeURIComponent(q.rawTags)}`;
  return link;
}
