/**
 * Route paths: plain prefixes (`/foo`) or regexes (`~/foo/(?<id>\d+)`, Kong 3.0 format). Kong matches
 * regexes with PCRE; JavaScript's RegExp differs, so PCRE-only syntax is translated where a faithful
 * translation exists and refused with a message naming the construct where it does not.
 */

/** A route path regex translated for JavaScript: `new RegExp(source, flags)` matches like PCRE would. */
export interface JsRouteRegex {
  source: string;
  flags: string;
}

/** The PCRE construct a path uses that JavaScript cannot express (thrown by `translatePcre`). */
export class UnsupportedRegexError extends Error {}

// POSIX bracket classes, valid only inside [...] in PCRE; JS has no equivalent syntax.
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

const INLINE_FLAGS: Record<string, string> = { i: 'i', s: 's', m: 'm' };

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Translates a PCRE pattern (without the leading `~`) into a JavaScript regex, or throws UnsupportedRegexError. */
export function translatePcre(pattern: string): JsRouteRegex {
  let src = pattern;
  let flags = '';
  // Leading inline flags `(?i)` apply to the whole pattern in PCRE: map them to JS flags.
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1] ?? '') {
      const js = INLINE_FLAGS[f];
      if (js === undefined) throw new UnsupportedRegexError(`inline flag (?${f}) is not supported`);
      if (!flags.includes(js)) flags += js;
    }
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    const next = src[i + 1];
    if (c === '\\') {
      if (next === undefined) throw new UnsupportedRegexError('pattern ends with a lone backslash');
      if (next === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const literal = src.slice(i + 2, end === -1 ? src.length : end);
        out += escapeLiteral(literal);
        i = end === -1 ? src.length : end + 1;
        continue;
      }
      if (next === 'E') {
        i++;
        continue;
      }
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && (next === 'z' || next === 'Z')) out += '$';
      else if (next === 'h') out += inClass ? ' \\t' : '[ \\t]';
      else if ('GKRXC'.includes(next) || (next === 'g' && src[i + 2] !== '<')) {
        throw new UnsupportedRegexError(`\\${next} is not supported`);
      } else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && next === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        const cls = m ? POSIX_CLASSES[m[2] as string] : undefined;
        if (m && cls !== undefined) {
          if (m[1] === '^') throw new UnsupportedRegexError(`negated POSIX class [:^${m[2]}:] is not supported`);
          out += cls;
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in PCRE; JS needs it escaped.
      if (next === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && next === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith('P=')) {
        const m = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
        if (!m) throw new UnsupportedRegexError('malformed (?P=name) back reference');
        out += `\\k<${m[1]}>`;
        i += 2 + m[0].length - 1;
        continue;
      }
      if (rest.startsWith('#')) {
        const end = src.indexOf(')', i);
        if (end === -1) throw new UnsupportedRegexError('unterminated (?# comment');
        i = end;
        continue;
      }
      if (rest.startsWith('>')) throw new UnsupportedRegexError('atomic groups (?>...) are not supported');
      if (rest.startsWith('|')) throw new UnsupportedRegexError('branch reset groups (?|...) are not supported');
      if (rest.startsWith('(')) throw new UnsupportedRegexError('conditional groups (?(...)...) are not supported');
      if (/^(R|[+-]?\d|&|P>)/.test(rest)) throw new UnsupportedRegexError('recursion and subroutine calls are not supported');
      if (/^[a-zA-Z-]+[:)]/.test(rest) && !rest.startsWith('<')) {
        throw new UnsupportedRegexError('inline flags are only supported at the start of the pattern');
      }
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && next === '+' && out.length > 0) {
      // `x++` is possessive in PCRE; JS has no possessive quantifiers (and rejects the syntax).
      const prev = out[out.length - 1];
      if (c !== '?' || (prev !== '(' && prev !== '\\')) {
        throw new UnsupportedRegexError(`possessive quantifier ${c}+ is not supported`);
      }
    }
    out += c;
  }
  return { source: out, flags };
}

/** The JavaScript regex for a `~/...` route path (the router compiles it once at config time). */
export function routePathRegex(path: string): RegExp {
  const { source, flags } = translatePcre(path.slice(1));
  return new RegExp(source, flags);
}

/** Why a route path is invalid, or null when it is valid. */
export function routePathError(path: string): string | null {
  if (path.length === 0) return 'length must be at least 1';
  if (path.startsWith('~')) {
    if (!path.startsWith('~/')) return 'should start with: / (fixed path) or ~/ (regex path)';
    try {
      routePathRegex(path);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
      return `invalid regex: '${path.slice(1)}' (${why})`;
    }
    return null;
  }
  if (!path.startsWith('/')) return 'should start with: / (fixed path) or ~/ (regex path)';
  if (/%(?![0-9a-fA-F]{2})/.test(path)) return 'invalid url-encoded value';
  return null;
}
