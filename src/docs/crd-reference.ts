import { parse } from 'yaml';
import { HybridgateError } from '../shared/errors.js';

/** A CRD file that does not have the shape the reference needs. */
export class CrdReferenceError extends HybridgateError {}

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      additionalPrinterColumns?: { name: string; jsonPath: string; description?: string }[];
      schema: { openAPIV3Schema: Schema };
      subresources?: Record<string, unknown>;
    }[];
  };
}

const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
const cell = (s: string): string => s.replace(/\|/g, '\\|');

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'integer or string';
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && typeof s.additionalProperties === 'object') {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  return s.type ?? 'any';
}

/** What a field accepts beyond its type: enum, bounds, pattern, and its CEL rules' messages. */
function constraints(s: Schema): string[] {
  const c: string[] = [];
  if (s.enum) c.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.minimum !== undefined) c.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) c.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) c.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) c.push(`at most ${s.maxLength} characters`);
  if (s.maxItems !== undefined) c.push(`at most ${s.maxItems} items`);
  if (s.maxProperties !== undefined) c.push(`at most ${s.maxProperties} entries`);
  if (s.pattern) c.push(`matches \`${s.pattern}\``);
  for (const v of s['x-kubernetes-validations'] ?? []) c.push(oneLine(v.message ?? v.rule));
  return c;
}

/** Rows of the field table, depth first: `spec.controlPlane.database.type`, arrays as `name[]`. */
function fieldRows(path: string, s: Schema, required: boolean, rows: string[]): void {
  const parts = [oneLine(s.description)];
  const c = constraints(s);
  if (c.length > 0) parts.push(`Constraints: ${c.join('; ')}.`);
  const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : '';
  rows.push(
    `| \`${path}\`${required ? ' (required)' : ''} | ${typeOf(s)} | ${cell(def)} | ${cell(parts.filter(Boolean).join(' '))} |`,
  );
  const nested = s.type === 'array' ? s.items : s;
  const suffix = s.type === 'array' ? '[]' : '';
  if (nested?.properties) {
    for (const [name, child] of Object.entries(nested.properties)) {
      fieldRows(`${path}${suffix}.${name}`, child, nested.required?.includes(name) ?? false, rows);
    }
  } else if (typeof nested?.additionalProperties === 'object' && nested.additionalProperties.properties) {
    fieldRows(`${path}${suffix}.<key>`, nested.additionalProperties, false, rows);
  }
}

function renderCrd(file: string, crd: Crd): string[] {
  const v = crd.spec.versions.find((x) => x.storage) ?? crd.spec.versions[0];
  const root = v?.schema?.openAPIV3Schema;
  if (!v || !root?.properties) {
    throw new CrdReferenceError('CRD_REFERENCE', `${file}: no version with an openAPIV3Schema`, { file });
  }
  const n = crd.spec.names;
  const out = [
    `## ${n.kind}`,
    '',
    oneLine(root.description),
    '',
    `- API: \`${crd.spec.group}/${v.name}\`, ${crd.spec.scope === 'Namespaced' ? 'namespaced' : 'cluster-scoped'}`,
    `- Names: \`${n.plural}\`${n.shortNames?.length ? `, short: ${n.shortNames.map((s) => `\`${s}\``).join(', ')}` : ''}`,
    `- Subresources: ${Object.keys(v.subresources ?? {}).join(', ') || 'none'}`,
    `- Source: \`crds/${file}\``,
    '',
  ];
  if (v.additionalPrinterColumns?.length) {
    out.push('`kubectl get` columns:', '', '| Column | From | Meaning |', '|---|---|---|');
    for (const col of v.additionalPrinterColumns) {
      out.push(`| ${col.name} | \`${cell(col.jsonPath)}\` | ${cell(oneLine(col.description))} |`);
    }
    out.push('');
  }
  for (const part of ['spec', 'status'] as const) {
    const s = root.properties[part];
    if (!s) continue;
    out.push(`### ${n.kind} ${part}`, '', '| Field | Type | Default | Description |', '|---|---|---|---|');
    const rows: string[] = [];
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      fieldRows(`${part}.${name}`, child, s.required?.includes(name) ?? false, rows);
    }
    out.push(...rows, '');
  }
  return out;
}

/**
 * docs/crds.md from the CRD files (name → YAML text): per kind its API, names, printer columns and
 * every spec and status field with type, default, description and validation rules.
 */
export function renderCrdReference(files: ReadonlyMap<string, string>): string {
  const out = [
    '<!-- Generated by `make docs` from crds/*.yaml. Do not edit. -->',
    '# Custom resource reference',
    '',
    'The operator watches three kinds in the API group `hybridgate.dev`. A HybridCluster is the usual',
    'entry point: it creates one ControlPlane and one DataPlane per data plane group. ControlPlane and',
    'DataPlane can also be used on their own (e.g. a DataPlane joining a control plane in another cluster).',
    'Validation rules run in the API server, so `kubectl apply` refuses a bad resource with the message shown.',
    '',
  ];
  for (const [file, text] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    let crd: Crd;
    try {
      crd = parse(text) as Crd;
    } catch (err) {
      throw new CrdReferenceError('CRD_REFERENCE', `${file}: not YAML: ${(err as Error).message}`, { file });
    }
    if (!crd?.spec?.names?.kind) {
      throw new CrdReferenceError('CRD_REFERENCE', `${file}: spec.names.kind is missing`, { file });
    }
    out.push(...renderCrd(file, crd));
  }
  return out.join('\n');
}
