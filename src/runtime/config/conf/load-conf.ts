import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENV_PREFIXES } from '../../../shared/contract.js';
import { ConfError } from '../../errors.js';
import { parseConfText } from './conf-file-parser.js';
import { isProperty, PROPERTIES, PROPERTY_NAMES } from './properties.js';
import { checkRoleRules } from './role-rules.js';
import type { Conf } from './types.js';
import { InvalidValue, type ParseContext } from './value-types.js';

/**
 * Resolves a node's configuration: defaults, then the conf file, then `KONG_<KEY>`, then
 * `HYBRIDGATE_<KEY>` environment variables, then programmatic overrides (CLI flags); each later source
 * wins. Every problem is collected and thrown as one ConfError, so a user fixes them in one pass.
 */

/** Where the conf comes from. */
export interface LoadConfOptions {
  /** A kong.conf-style file; a missing or unreadable file is an error. */
  file?: string;
  /** Environment variables (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Raw values that win over everything (CLI flags such as --prefix). */
  overrides?: Record<string, string>;
  /** Where relative paths start (defaults to process.cwd()). */
  cwd?: string;
}

/** The resolved conf and the warnings to log (unknown keys, ignored properties). */
export interface LoadedConf {
  conf: Conf;
  warnings: string[];
}

/** One problem of a conf load, as kept in ConfError's context. */
export interface ConfProblem {
  key: string | null;
  source: string | null;
  message: string;
}

interface RawValue {
  raw: string;
  source: string;
}

/** The closest property name to a misspelt key, if one is close enough to be a likely typo. */
export function suggestProperty(key: string): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 5)) + 1;
  for (const name of PROPERTY_NAMES) {
    const d = editDistance(key, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownKey(key: string, where: string): string {
  const hint = suggestProperty(key);
  return `${where}: unknown property ${key}${hint ? ` (did you mean ${hint}?)` : ''}; ignored`;
}

/** Collects the raw text of each property from every source, later sources overwriting earlier ones. */
function gatherRaw(opts: LoadConfOptions, cwd: string, problems: ConfProblem[], warnings: string[]) {
  const raw = new Map<keyof Conf, RawValue>();
  const explicit = new Set<string>();
  const set = (key: keyof Conf, value: string, source: string) => {
    raw.set(key, { raw: value, source });
    if (value.trim() !== '') explicit.add(key);
    else explicit.delete(key);
  };
  for (const key of PROPERTY_NAMES) raw.set(key, { raw: PROPERTIES[key].default, source: 'default' });

  if (opts.file !== undefined) {
    const file = resolve(cwd, opts.file);
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
      problems.push({ key: null, source: file, message: `conf file ${file} ${why}` });
    }
    if (text !== null) {
      const parsed = parseConfText(text, file);
      for (const message of parsed.errors) problems.push({ key: null, source: file, message });
      warnings.push(...parsed.warnings);
      for (const entry of parsed.entries.values()) {
        if (isProperty(entry.key)) set(entry.key, entry.value, `${file}:${entry.line}`);
        else warnings.push(unknownKey(entry.key, `${file}:${entry.line}`));
      }
    }
  }

  const env = opts.env ?? process.env;
  // KONG_ first, then HYBRIDGATE_, so that ours wins when both are set.
  for (const prefix of [...ENV_PREFIXES].reverse()) {
    for (const key of PROPERTY_NAMES) {
      const value = env[`${prefix}${key.toUpperCase()}`];
      if (value !== undefined) set(key, value.trim(), `environment ${prefix}${key.toUpperCase()}`);
    }
  }
  // KONG_ variables that are not properties are common (images set KONG_VERSION...); ours are typos,
  // except HYBRIDGATE_TEST_* and HYBRIDGATE_DEMO_*, which belong to the tests and the demo, not the conf.
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIXES[0]) || /^HYBRIDGATE_(TEST|DEMO)_/.test(name)) continue;
    const key = name.slice(ENV_PREFIXES[0].length).toLowerCase();
    if (!isProperty(key)) warnings.push(unknownKey(key, `environment ${name}`));
  }

  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (isProperty(key)) set(key, value, 'override');
    else warnings.push(unknownKey(key, 'override'));
  }
  return { raw, explicit };
}

/** Loads, validates and resolves the conf; throws ConfError listing every problem found. */
export function loadConf(opts: LoadConfOptions = {}): LoadedConf {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const problems: ConfProblem[] = [];
  const warnings: string[] = [];
  const { raw, explicit } = gatherRaw(opts, cwd, problems, warnings);

  const values: Partial<Record<keyof Conf, unknown>> = {};
  const failed = new Set<keyof Conf>();
  const parseOne = (key: keyof Conf, prefix: string) => {
    const spec = PROPERTIES[key];
    const { raw: text, source } = raw.get(key)!;
    const ctx: ParseContext = { key, cwd, prefix, secret: spec.secret === true, warn: (m) => warnings.push(m) };
    try {
      values[key] = (spec.type as { parse(raw: string, ctx: ParseContext): unknown }).parse(text, ctx);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      failed.add(key);
      problems.push({ key, source, message: `${key}: ${err.reason} (expected ${spec.type.expected})` });
    }
  };
  // The prefix first: other paths (the DP cache) are resolved against it.
  parseOne('prefix', cwd);
  const prefix = failed.has('prefix') ? cwd : (values.prefix as string);
  for (const key of PROPERTY_NAMES) if (key !== 'prefix') parseOne(key, prefix);

  const conf = values as Conf;
  const rules = checkRoleRules({ conf, failed, explicit });
  for (const message of rules.errors) problems.push({ key: message.split(':')[0] ?? null, source: null, message });
  warnings.push(...rules.warnings);

  if (problems.length > 0) {
    throw new ConfError(problems.map((p) => p.message).join('\n'), { problems });
  }
  return { conf, warnings };
}
