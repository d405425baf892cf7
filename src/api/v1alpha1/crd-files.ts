import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { KINDS } from './index.js';

/** The repository's crds/ directory (the CRD YAML is the source of truth for the API). */
export const CRDS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../crds');

/** A parsed CustomResourceDefinition, as far as tests and the envtest installer read it. */
export interface CrdDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      subresources?: Record<string, unknown>;
      additionalPrinterColumns?: { name: string; jsonPath: string; type: string }[];
      schema: { openAPIV3Schema: Record<string, unknown> };
    }[];
  };
}

/** Reads the three Hybridgate CRDs from crds/, keyed by kind. */
export function loadCrds(dir = CRDS_DIR): Record<keyof typeof KINDS, CrdDocument> {
  const read = (file: string) => parse(readFileSync(join(dir, file), 'utf8')) as CrdDocument;
  return {
    HybridCluster: read(KINDS.HybridCluster.crdFile),
    ControlPlane: read(KINDS.ControlPlane.crdFile),
    DataPlane: read(KINDS.DataPlane.crdFile),
  };
}
