import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderConfigurationReference } from './configuration-reference.js';
import { renderCrdReference } from './crd-reference.js';

/** The generated reference documents: path relative to the repository → content. */
export async function renderReferenceDocs(repoRoot: string): Promise<Map<string, string>> {
  const crdDir = join(repoRoot, 'crds');
  const crdFiles = new Map<string, string>();
  for (const name of (await readdir(crdDir)).filter(
    (n) => n.startsWith('hybridgate.dev_') && n.endsWith('.yaml'),
  )) {
    crdFiles.set(name, await readFile(join(crdDir, name), 'utf8'));
  }
  return new Map([
    ['docs/configuration.md', renderConfigurationReference()],
    ['docs/crds.md', renderCrdReference(crdFiles)],
  ]);
}
