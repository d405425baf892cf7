import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { OperatorError } from '../errors.js';

/**
 * Several ConfigMap files into one declarative document for `POST /config?select_tags`. Only the
 * merge is done here (parse, `_format_version`, families concatenated in file order, the same entity
 * declared in two files): validating entities is the control plane's job, with the one schema it has.
 */

/** One file: where it came from (`<configmap>/<key>`) and its text. */
export interface SourceFile {
  source: string;
  text: string;
}

/** Where an entry of the merged document came from: file and index in that file's family list. */
export interface Origin {
  source: string;
  index: number;
}

/** The merged document, where each top-level entry came from, and a hash of the merged content. */
export interface MergedConfig {
  document: Record<string, unknown>;
  origins: Record<string, Origin[]>;
  /** sha256 of the merged document (canonical JSON): changes exactly when the files' content does. */
  sourceHash: string;
  files: number;
}

/** A file cannot be merged: `context.source` names it, `context.line` when the parser knew it. */
export class ConfigFilesError extends OperatorError {}

// Entities identified by a name in Kong's declarative format (anything else by its id only).
const NAME_KEYS: Record<string, string> = {
  services: 'name',
  routes: 'name',
  upstreams: 'name',
  consumers: 'username',
  snis: 'name',
  vaults: 'prefix',
  key_sets: 'name',
  keys: 'name',
};

// Families nested under other entities, whose names must be unique across files too.
const NESTED = [
  'routes',
  'plugins',
  'targets',
  'snis',
  'keyauth_credentials',
  'basicauth_credentials',
  'acls',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one file (YAML or JSON; JSON is YAML) into a mapping, or throws with file and line. */
export function parseFile(file: SourceFile): Record<string, unknown> {
  const doc = parseDocument(file.text, { uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0];
    const reason = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    const at = pos === undefined ? '' : ` (line ${pos.line}, column ${pos.col})`;
    throw new ConfigFilesError('CONFIG_FILE_UNPARSABLE', `${file.source}: ${reason}${at}`, {
      source: file.source,
      ...(pos === undefined ? {} : { line: pos.line, column: pos.col }),
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigFilesError('CONFIG_FILE_UNPARSABLE', `${file.source}: ${(err as Error).message}`, {
      source: file.source,
    });
  }
  if (!isRecord(value)) {
    throw new ConfigFilesError(
      'CONFIG_FILE_INVALID',
      `${file.source}: expected a declarative document (a mapping with _format_version "3.0")`,
      {
        source: file.source,
      },
    );
  }
  if (value['_format_version'] !== '3.0') {
    throw new ConfigFilesError(
      'CONFIG_FILE_INVALID',
      `${file.source}: _format_version must be "3.0" (found ${JSON.stringify(value['_format_version'] ?? null)})`,
      { source: file.source },
    );
  }
  return value;
}

/** JSON with sorted keys, so the hash does not depend on how a file orders its keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

// Every (family, identity) an entry declares, itself and its nested children, for the duplicate check.
function identities(family: string, entry: unknown, out: string[]): void {
  if (!isRecord(entry)) return;
  if (typeof entry['id'] === 'string') out.push(`${family} with id '${entry['id']}'`);
  const key = NAME_KEYS[family];
  const name = key === undefined ? undefined : entry[key];
  if (typeof name === 'string') out.push(`${family} '${name}'`);
  for (const child of NESTED) {
    const list = entry[child];
    if (Array.isArray(list)) for (const c of list) identities(child, c, out);
  }
}

/**
 * Merges files in order: each family's lists are concatenated; meta keys (`_comment`...) are dropped
 * except `_format_version`. An entity (by id or name, nested ones too) declared in two files is an
 * error naming both; so is a family that is not a list.
 */
export function mergeDeclarativeFiles(files: readonly SourceFile[]): MergedConfig {
  if (files.length === 0) {
    throw new ConfigFilesError('CONFIG_FILES_EMPTY', 'the referenced ConfigMaps hold no files', {});
  }
  const document: Record<string, unknown> = { _format_version: '3.0' };
  const origins: Record<string, Origin[]> = {};
  const declared = new Map<string, string>();
  for (const file of files) {
    const parsed = parseFile(file);
    for (const [family, value] of Object.entries(parsed)) {
      if (family.startsWith('_')) continue;
      if (value === null || value === undefined) continue;
      if (!Array.isArray(value)) {
        throw new ConfigFilesError('CONFIG_FILE_INVALID', `${file.source}: ${family} must be a list`, {
          source: file.source,
          family,
        });
      }
      const list = (document[family] ??= []) as unknown[];
      const from = (origins[family] ??= []);
      value.forEach((entry, index) => {
        const ids: string[] = [];
        identities(family, entry, ids);
        for (const id of new Set(ids)) {
          const other = declared.get(id);
          if (other !== undefined && other !== file.source) {
            throw new ConfigFilesError(
              'CONFIG_FILES_DUPLICATE',
              `${id} is declared in both ${other} and ${file.source}`,
              { sources: [other, file.source], entity: id },
            );
          }
          declared.set(id, file.source);
        }
        list.push(entry);
        from.push({ source: file.source, index });
      });
    }
  }
  const sourceHash = createHash('sha256').update(canonicalJson(document)).digest('hex');
  return { document, origins, sourceHash, files: files.length };
}

/**
 * The control plane's error message with merged-document paths (`services[3].routes[0]`) turned back
 * into file paths (`kong/b.yaml: services[1].routes[0]`), so the condition says which file to fix.
 */
export function locateInFiles(message: string, origins: Record<string, Origin[]>): string {
  return message.replace(
    /(^|: |; )([a-z_]+)\[(\d+)\]/g,
    (all, lead: string, family: string, index: string) => {
      const origin = origins[family]?.[Number(index)];
      return origin ? `${lead}${origin.source}: ${family}[${origin.index}]` : all;
    },
  );
}
