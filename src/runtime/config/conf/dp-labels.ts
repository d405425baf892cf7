import { InvalidValue, quote, type ValueType } from './value-types.js';

/**
 * `cluster_dp_labels`: labels a DP reports to its CP (`deployment:canary,region:eu-west`). The rules are
 * Kong's (Kong Labels AIP-129): at most 10 labels, key and value 1-63 characters of letters, digits and
 * `_ . : -`, starting and ending with a letter or digit, and keys outside the vendor's reserved prefixes.
 */

/** The most labels a DP may carry. */
export const MAX_DP_LABELS = 10;

/** Key prefixes reserved for Kong's own products. */
export const RESERVED_LABEL_PREFIXES = ['kong', 'konnect', 'insomnia', 'mesh', 'kic'] as const;

const LABEL_PART = /^[a-z0-9]([\w.:-]*[a-z0-9]|)$/i;

function checkPart(what: 'key' | 'value', s: string, label: string): string | null {
  if (s.length < 1 || s.length > 63) {
    return `label ${quote(label)}: the ${what} must be 1-63 characters (got ${s.length})`;
  }
  if (!LABEL_PART.test(s)) {
    return `label ${quote(label)}: the ${what} must start and end with a letter or digit and contain only letters, digits, _, ., : or -`;
  }
  return null;
}

/** Parses and checks labels; every problem is reported in one InvalidValue. */
export function parseDpLabels(raw: string): Record<string, string> {
  const value = raw.trim();
  const labels: Record<string, string> = {};
  if (value === '') return labels;
  const items = value.split(',').map((s) => s.trim());
  const problems: string[] = [];
  if (items.length > MAX_DP_LABELS) problems.push(`${items.length} labels given, at most ${MAX_DP_LABELS} allowed`);
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon < 0) {
      problems.push(`label ${quote(item)} is not key:value`);
      continue;
    }
    // Split at the first ':' only: values may contain ':' (Kong does the same).
    const key = item.slice(0, colon);
    const val = item.slice(colon + 1);
    const keyProblem = checkPart('key', key, item);
    const valueProblem = checkPart('value', val, item);
    if (keyProblem) problems.push(keyProblem);
    if (valueProblem) problems.push(valueProblem);
    const reserved = RESERVED_LABEL_PREFIXES.find((p) => key.toLowerCase().startsWith(p));
    if (reserved) problems.push(`label ${quote(item)}: keys starting with "${reserved}" are reserved`);
    if (Object.hasOwn(labels, key)) problems.push(`label key "${key}" is given twice`);
    if (!keyProblem && !valueProblem && !reserved) labels[key] = val;
  }
  if (problems.length > 0) throw new InvalidValue(problems.join('; '));
  return labels;
}

/** The `cluster_dp_labels` value type. */
export const dpLabels: ValueType<Record<string, string>> = {
  expected: `at most ${MAX_DP_LABELS} comma-separated key:value labels, each part 1-63 characters matching ${LABEL_PART.source}, keys not starting with ${RESERVED_LABEL_PREFIXES.join(', ')}`,
  parse: parseDpLabels,
};
