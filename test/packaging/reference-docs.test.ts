import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReferenceDocs } from '../../src/docs/reference-files.js';
import { renderCrdReference } from '../../src/docs/crd-reference.js';

const root = join(import.meta.dirname, '..', '..');

describe('generated reference docs', () => {
  it('docs/configuration.md and docs/crds.md match the code and the CRDs (run `make docs` when this fails)', async () => {
    for (const [path, expected] of await renderReferenceDocs(root)) {
      const actual = await readFile(join(root, path), 'utf8').catch(() => '<missing>');
      expect({ path, text: actual }).toEqual({ path, text: expected });
    }
  });

  it('documents every conf property and every CRD field the code reads', async () => {
    const docs = await renderReferenceDocs(root);
    const conf = docs.get('docs/configuration.md')!;
    for (const name of ['cluster_mtls', 'cluster_dp_labels', 'admin_auth', 'data_plane_config_cache_mode']) {
      expect(conf).toContain(`### \`${name}\``);
    }
    const crds = docs.get('docs/crds.md')!;
    for (const field of [
      'spec.certificates.mode',
      'spec.dataPlanes[].replicas',
      'status.nodes[].syncStatus',
    ]) {
      expect(crds).toContain(`\`${field}\``);
    }
  });

  it('names the file of a CRD it cannot read', () => {
    expect(() => renderCrdReference(new Map([['broken.yaml', 'spec: {}']]))).toThrow(
      'broken.yaml: spec.names.kind is missing',
    );
    expect(() => renderCrdReference(new Map([['bad.yaml', 'a: [']]))).toThrow(/bad\.yaml: not YAML/);
  });
});
