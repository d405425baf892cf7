import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * Golden-file cases for the pure renderers: every `testdata/<case>.in.yaml` (one or more YAML
 * documents) is rendered and compared with `testdata/<case>.out.yaml`. `UPDATE_GOLDEN=1` rewrites the
 * outputs instead (review the diff before committing).
 */

/** One golden case. */
export interface GoldenCase {
  name: string;
  /** The input documents, in file order. */
  docs: Record<string, unknown>[];
  outPath: string;
}

/** The cases of a testdata directory, sorted by name. */
export function goldenCases(dir: string): GoldenCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .sort()
    .map((f) => {
      const docs = parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
        if (d.errors.length) throw new Error(`${f}: ${d.errors[0]!.message}`);
        return d.toJS() as Record<string, unknown>;
      });
      return {
        name: f.replace(/\.in\.yaml$/, ''),
        docs,
        outPath: join(dir, f.replace(/\.in\.yaml$/, '.out.yaml')),
      };
    });
}

/** The rendered objects as the golden file holds them (multi-document YAML). */
export function goldenText(objects: unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** Returns [actual, expected]; with UPDATE_GOLDEN=1 writes `actual` first so both are equal. */
export function compareGolden(c: GoldenCase, objects: unknown[]): [string, string] {
  const actual = goldenText(objects);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(c.outPath, actual);
  try {
    return [actual, readFileSync(c.outPath, 'utf8')];
  } catch {
    return [actual, `(missing ${c.outPath}; run with UPDATE_GOLDEN=1)`];
  }
}
