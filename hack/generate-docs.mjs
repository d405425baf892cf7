#!/usr/bin/env node
// Writes docs/configuration.md and docs/crds.md from the code and the CRDs (run through `make docs`,
// which builds dist/ first). test/packaging/reference-docs.test.ts fails when they are out of date.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderReferenceDocs } = await import(join(root, 'dist/docs/reference-files.js'));
for (const [path, text] of await renderReferenceDocs(root)) {
  await writeFile(join(root, path), text);
  console.log(`wrote ${path}`);
}
