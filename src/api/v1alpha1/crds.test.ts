import { describe, it, expect } from '@jest/globals';
import { loadCrds, type CrdDocument } from './crd-files.js';

type Schema = {
  [k: string]: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  description?: string;
};

const crds = loadCrds();
const schemaOf = (crd: CrdDocument) => crd.spec.versions[0]!.schema.openAPIV3Schema as Schema;
const prop = (s: Schema, path: string): Schema =>
  path.split('.').reduce<Schema>((cur, key) => {
    const next = cur.properties?.[key] ?? cur.items?.properties?.[key];
    if (!next) throw new Error(`no property ${key} in ${path}`);
    return next;
  }, s);

/** Every property path under `s` that has no description (what `kubectl explain` would print empty). */
function undocumented(s: Schema, path = ''): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const here = path ? `${path}.${name}` : name;
    if (here !== 'metadata' && !child.description) out.push(here);
    out.push(...undocumented(child, here));
    if (child.items) out.push(...undocumented(child.items, `${here}[]`));
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    out.push(...undocumented(s.additionalProperties as Schema, `${path}{}`));
  }
  return out;
}

describe('CRDs', () => {
  it.each(Object.entries(crds))('%s documents every field', (_kind, crd) => {
    expect(undocumented(schemaOf(crd))).toEqual([]);
  });

  it.each(Object.entries(crds))(
    '%s is namespaced, in hybridgate.dev/v1alpha1, category hybridgate',
    (_k, crd) => {
      expect(crd.spec.group).toBe('hybridgate.dev');
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
      expect(crd.spec.names.categories).toEqual(['hybridgate']);
      expect(crd.spec.versions[0]!.subresources).toHaveProperty('status');
    },
  );

  it('has the short names and printer columns the issue asks for', () => {
    const cols = (c: CrdDocument) =>
      c.spec.versions[0]!.additionalPrinterColumns!.map((x) => x.name.toUpperCase());
    expect(crds.HybridCluster.spec.names.shortNames).toEqual(['hgc']);
    expect(crds.ControlPlane.spec.names.shortNames).toEqual(['hgcp']);
    expect(crds.DataPlane.spec.names.shortNames).toEqual(['hgdp']);
    expect(cols(crds.DataPlane)).toEqual(['READY', 'DESIRED', 'SYNCED', 'VERSION', 'CONFIG HASH', 'AGE']);
    expect(cols(crds.ControlPlane)).toEqual(['READY', 'DATABASE', 'DATAPLANES', 'AGE']);
    expect(cols(crds.HybridCluster)).toEqual(['MODE', 'VERSION', 'READY', 'DATAPLANES', 'SYNCED', 'AGE']);
  });

  it('gives DataPlane a scale subresource wired to replicas and the pod selector', () => {
    expect(crds.DataPlane.spec.versions[0]!.subresources!['scale']).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
  });

  // One source of truth per fragment: the standalone kinds repeat the HybridCluster's fragments verbatim,
  // and the generated ControlPlane/DataPlane types import the HybridCluster's types for them.
  it.each([
    ['ControlPlane', 'spec.certificates', 'spec.certificates'],
    ['ControlPlane', 'spec.database', 'spec.controlPlane.database'],
    ['ControlPlane', 'spec.adminService', 'spec.controlPlane.adminService'],
    ['ControlPlane', 'spec.clusterService', 'spec.controlPlane.clusterService'],
    ['ControlPlane', 'spec.resources', 'spec.controlPlane.resources'],
    ['ControlPlane', 'spec.conf', 'spec.controlPlane.conf'],
    ['ControlPlane', 'spec.replicas', 'spec.controlPlane.replicas'],
    ['DataPlane', 'spec.service', 'spec.dataPlanes.service'],
    ['DataPlane', 'spec.labels', 'spec.dataPlanes.labels'],
    ['DataPlane', 'spec.resources', 'spec.dataPlanes.resources'],
    ['DataPlane', 'spec.resources', 'spec.controlPlane.resources'],
    ['DataPlane', 'spec.conf', 'spec.dataPlanes.conf'],
    ['DataPlane', 'spec.podDisruptionBudget', 'spec.dataPlanes.podDisruptionBudget'],
    ['DataPlane', 'status.conditions', 'status.conditions'],
    ['ControlPlane', 'status.conditions', 'status.conditions'],
  ] as const)('%s %s repeats HybridCluster %s', (kind, own, shared) => {
    const strip = (s: Schema) => ({ ...s, description: undefined });
    expect(strip(prop(schemaOf(crds[kind]), own))).toEqual(strip(prop(schemaOf(crds.HybridCluster), shared)));
  });

  it('keeps ControlPlane spec rules equal to the HybridCluster controlPlane rules', () => {
    const rules = (s: Schema) => s['x-kubernetes-validations'];
    expect(rules(prop(schemaOf(crds.ControlPlane), 'spec'))).toEqual(
      rules(prop(schemaOf(crds.HybridCluster), 'spec.controlPlane')),
    );
  });
});
