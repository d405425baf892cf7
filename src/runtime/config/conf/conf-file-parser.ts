/**
 * The kong.conf syntax: one `key = value` per line, `#` starts a comment (also after a value) unless
 * escaped as `\#`, blank lines and surrounding whitespace are ignored. Values are kept as raw text;
 * the properties table gives them meaning.
 */

/** One assignment read from a conf file, with where it came from for error messages. */
export interface ConfEntry {
  key: string;
  value: string;
  line: number;
}

/** What a conf file holds: the assignments (last one wins), syntax errors and warnings. */
export interface ParsedConfText {
  entries: Map<string, ConfEntry>;
  errors: string[];
  warnings: string[];
}

// Kong's property names are lower-case identifiers; anything else on the left of `=` is a typo.
const KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Removes a trailing comment: the first `#` not preceded by a backslash; `\#` becomes `#`. */
export function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === '#') {
      out += '#';
      i++;
      continue;
    }
    if (ch === '#') break;
    out += ch;
  }
  return out;
}

/** Parses the text of a kong.conf-style file; `source` (a path) prefixes every message. */
export function parseConfText(text: string, source: string): ParsedConfText {
  const entries = new Map<string, ConfEntry>();
  const errors: string[] = [];
  const warnings: string[] = [];
  // A BOM written by some editors would otherwise glue itself to the first key.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const content = stripComment(rawLine).trim();
    if (content === '') return;
    const eq = content.indexOf('=');
    if (eq < 0) {
      errors.push(`${source}:${line}: "${truncate(content)}" is not an assignment (expected key = value)`);
      return;
    }
    const key = content.slice(0, eq).trim();
    const value = content.slice(eq + 1).trim();
    if (!KEY_PATTERN.test(key)) {
      errors.push(
        `${source}:${line}: "${truncate(key)}" is not a property name (expected lower-case letters, digits and _)`,
      );
      return;
    }
    const previous = entries.get(key);
    if (previous) {
      warnings.push(`${source}:${line}: ${key} is set again (line ${previous.line}); the last value wins`);
    }
    entries.set(key, { key, value, line });
  });
  return { entries, errors, warnings };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
