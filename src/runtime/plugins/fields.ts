import { z } from 'zod';
import { isIPv4, isIPv6 } from '../config/entities/fields.js';

/** Config field helpers shared by the bundled plugin schemas (Kong's typedefs, Kong's wording). */

/** An HTTP header name (token characters). */
export const headerName = () =>
  z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (iss) => `bad header name '${String(iss.input)}'` });

/** A value Kong stores as null when unset. */
export const opt = <T extends z.ZodType>(s: T) => s.nullable().default(null);

/** Whether `s` is an IP address or a CIDR range (v4 or v6). */
export function isIpOrCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || ip === undefined) return false;
  const v4 = isIPv4(ip);
  if (!v4 && !isIPv6(ip)) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v4 ? 32 : 128);
}

/** An IP or CIDR string (Kong's `typedefs.ip_or_cidr`). */
export const ipOrCidr = () =>
  z.string().refine(isIpOrCidr, { error: (iss) => `invalid ip or cidr range: '${String(iss.input)}'` });

/** A `name:value` string as the transformer plugins take them. */
export const colonPair = () =>
  z
    .string()
    .regex(/^[^:]+:.*$/, { error: (iss) => `invalid value: ${String(iss.input)} (expected 'name:value')` });

/** Kong's message for "one of these must be set" checks. */
export const atLeastOneOf = (fields: readonly string[]) =>
  `at least one of these fields must be non-empty: ${fields.map((f) => `'config.${f}'`).join(', ')}`;

/** Kong's message for "only one of these may be set" checks. */
export const onlyOneOf = (fields: readonly string[]) =>
  `only one of these fields must be non-empty: ${fields.map((f) => `'config.${f}'`).join(', ')}`;

/** Whether a config value counts as set (Kong: non-null, and arrays non-empty). */
export const isSet = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);
