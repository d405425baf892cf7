import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { errorMessage } from '../../../shared/errors.js';
import { DbError } from '../../errors.js';
import { ENTITY_NAMES, type Entity, type EntityName } from '../entities/definition.js';
import type { FieldIssue } from '../entities/field-errors.js';
import { validateEntity } from '../entities/validate.js';
import { declarativeError } from './errors.js';
import { exportDeclarative } from './export.js';
import { flattenDocument, type DocPath } from './flatten.js';
import { ReferenceIndex, resolveReferences } from './references.js';
import { FORMAT_VERSIONS, type DeclarativeConfig, type DeclarativeOptions } from './types.js';
import { checkUniqueness, type PlacedEntity } from './unique.js';

export type { DeclarativeConfig, DeclarativeIssue, DeclarativeOptions } from './types.js';

// Top-level keys that are not entity families; `_workspace` is accepted and ignored (one workspace).
const META_KEYS = new Set(['_format_version', '_transform', '_comment', '_workspace']);

type Issues = { path: DocPath; message: string }[];

/** Parses YAML or JSON text into a plain object, or throws DECLARATIVE_CONFIG with line and column. */
function parseText(text: string, source: string | undefined): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0];
    const at = pos === undefined ? '' : ` (line ${pos.line}, column ${pos.col})`;
    // yaml's pretty message repeats the position and a code excerpt: keep the sentence only.
    const reason = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    const message = `failed parsing declarative configuration: ${reason}${at}`;
    const where = source === undefined ? '' : ` in ${source}`;
    throw new DbError('DECLARATIVE_CONFIG', `${message}${where}`, undefined, {
      errors: [{ path: '', message }],
      ...(pos === undefined ? {} : { line: pos.line, column: pos.col }),
      ...(source === undefined ? {} : { source }),
    });
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Unresolved aliases and alias bombs surface only when the document is converted.
    const message = `failed parsing declarative configuration: ${errorMessage(err)}`;
    const where = source === undefined ? '' : ` in ${source}`;
    throw new DbError('DECLARATIVE_CONFIG', `${message}${where}`, undefined, {
      errors: [{ path: '', message }],
      ...(source === undefined ? {} : { source }),
    });
  }
}

/**
 * Validates an already-parsed declarative document (a file's content, or a config pushed by the CP)
 * and returns the flat normalized form. Throws DbError('DECLARATIVE_CONFIG') listing every problem.
 */
export function validateDeclarativeConfig(obj: unknown, opts: DeclarativeOptions = {}): DeclarativeConfig {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw declarativeError([{ path: [], message: 'expected an object' }], opts.source);
  }
  const doc = obj as Record<string, unknown>;
  const issues: Issues = [];
  const version = doc._format_version;
  if (version === undefined || version === null) issues.push({ path: ['_format_version'], message: 'required field missing' });
  else if (!(FORMAT_VERSIONS as readonly unknown[]).includes(version)) {
    issues.push({ path: ['_format_version'], message: `expected one of: ${FORMAT_VERSIONS.join(', ')}` });
  }
  if (doc._transform !== undefined && typeof doc._transform !== 'boolean') {
    issues.push({ path: ['_transform'], message: 'expected a boolean' });
  }
  const families = new Set<string>(ENTITY_NAMES);
  for (const key of Object.keys(doc)) {
    if (!META_KEYS.has(key) && !families.has(key)) issues.push({ path: [key], message: 'unknown field' });
  }
  if (issues.length > 0) throw declarativeError(issues, opts.source);

  const transform = doc._transform !== false;
  const flat = flattenDocument(doc, version !== '3.0');
  issues.push(...flat.issues);
  const index = new ReferenceIndex(flat.items);
  const placed: PlacedEntity[] = [];
  for (const item of flat.items) {
    const before = issues.length;
    resolveReferences(item, index, issues);
    if (issues.length > before) continue;
    const raw: Record<string, unknown> = { ...item.raw, id: item.id };
    if (item.family === 'keyauth_credentials' && (raw.key === undefined || raw.key === null)) {
      // A generated key would either change on every load (and with it the config hash) or be derivable
      // from the file by anyone who reads it; so a declarative credential must carry its key.
      issues.push({ path: [...item.path, 'key'], message: 'required field missing (a declarative key-auth credential must carry its key)' });
      continue;
    }
    try {
      const entity = validateEntity(item.family, raw, {
        now: false,
        transform,
        ...(opts.enabledPlugins !== undefined ? { enabledPlugins: opts.enabledPlugins } : {}),
      });
      placed.push({ family: item.family, entity, path: item.path });
    } catch (err) {
      issues.push(...reroot(err, item.path));
    }
  }
  issues.push(...checkUniqueness(placed));
  if (issues.length > 0) throw declarativeError(issues, opts.source);

  const byFamily: Partial<Record<EntityName, Entity[]>> = {};
  for (const { family, entity } of placed) (byFamily[family] ??= []).push(entity);
  return exportDeclarative(byFamily);
}

// An entity's schema errors, moved under the entity's place in the document.
function reroot(err: unknown, path: DocPath): Issues {
  if (err instanceof DbError && Array.isArray(err.context.issues)) {
    return (err.context.issues as FieldIssue[]).map((i) => ({
      path: i.path.length === 0 ? [...path, '@entity'] : [...path, ...i.path],
      message: i.message,
    }));
  }
  return [{ path, message: errorMessage(err) }];
}

/** Parses declarative YAML or JSON text (Kong's format 1.1, 2.1 or 3.0) into the flat normalized form. */
export function parseDeclarative(text: string, opts: DeclarativeOptions = {}): DeclarativeConfig {
  return validateDeclarativeConfig(parseText(text, opts.source), opts);
}

/** Reads and parses a declarative file (`declarative_config`, `hybridgate config validate`). */
export async function loadDeclarativeFile(path: string, opts: DeclarativeOptions = {}): Promise<DeclarativeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbError('DECLARATIVE_CONFIG', `cannot read declarative config ${path}: ${errorMessage(err)}`, undefined, {
      errors: [{ path: '', message: errorMessage(err) }],
      source: path,
    });
  }
  return parseDeclarative(text, { ...opts, source: opts.source ?? path });
}
