/**
 * The request path in the form the router matches (and the upstream receives), as Kong 3.x
 * normalises it before routing (kong.request.get_path): percent-encoded unreserved characters
 * (RFC 3986 §2.3: letters, digits, `-._~`) decoded and every other escape written with upper-case hex,
 * `.` and `..` segments resolved (RFC 3986 §5.2.4, never above the root), and runs of slashes merged.
 * Without this `/%61dmin`, `//admin` and `/public/../admin` would slip past a route (and the plugins)
 * meant for `/admin` to an upstream that reads them all as `/admin`. Reserved characters stay encoded,
 * so `%2F` never becomes a separator and the result is always a valid request target.
 */

// Bit set of the unreserved ASCII characters, indexed by code.
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Normalises a request path (no query string); returns null when it holds a malformed escape (`%` not
 * followed by two hex digits), which Kong answers with 400. Paths with nothing to change, nearly all of
 * them, are returned as they are without allocating.
 */
export function normalizePath(path: string): string | null {
  if (path.indexOf('%') < 0 && path.indexOf('//') < 0 && path.indexOf('/.') < 0) return path;
  let decoded = path;
  if (path.indexOf('%') >= 0) {
    let out = '';
    let from = 0;
    for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      const code = hi * 16 + lo;
      out +=
        path.slice(from, i) +
        (UNRESERVED[code] === 1 ? String.fromCharCode(code) : path.slice(i, i + 3).toUpperCase());
      from = i + 3;
      i += 2;
    }
    decoded = out + path.slice(from);
  }
  return removeDotSegments(decoded);
}

// RFC 3986 §5.2.4 over `/`-separated segments, with empty segments (repeated slashes) dropped.
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  let trailingSlash = false;
  for (let i = 1; i <= last; i++) {
    const s = segments[i]!;
    if (s === '..') {
      out.pop();
      trailingSlash = true;
    } else if (s === '.' || s === '') {
      // `a/.` and `a/` keep the directory form; an empty segment inside is a merged slash.
      trailingSlash = i === last;
    } else {
      out.push(s);
      trailingSlash = false;
    }
  }
  const joined = '/' + out.join('/');
  return trailingSlash && out.length > 0 ? joined + '/' : joined;
}
