import { z } from 'zod';

/**
 * Field building blocks shared by the entity schemas, written once so every family words its errors the
 * same way Kong does (kong/db/schema/typedefs.lua). Error messages given here are final: validate.ts
 * only rewrites zod's generic wording.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID string, as Kong's `typedefs.uuid`. */
export const uuid = () => z.string().regex(UUID_RE, { error: 'expected a valid UUID' });

/** An integer within [min, max], worded as Kong's `between` validator. */
export const intBetween = (min: number, max: number) => {
  const error = `value should be between ${min} and ${max}`;
  return z.int().min(min, { error }).max(max, { error });
};

/** Unix timestamp in whole seconds (Kong's `auto_timestamp_s`). */
export const timestamp = () => z.int().min(0, { error: 'value must be a positive timestamp' });

/** Fields every family has: id and timestamps (timestamps are optional so declarative loads stay deterministic). */
export const baseFields = () => ({
  id: uuid(),
  created_at: timestamp().optional(),
  updated_at: timestamp().optional(),
});

// Kong's tag rule: printable ASCII except `,` and `/`, plus any UTF-8 above 0x7F.
const TAG_RE = /^[\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\u{10ffff}]+(?: [\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\u{10ffff}]+)*$/u;

/** `tags`: a set of strings, null when absent. */
export const tags = () =>
  z
    .array(
      z.string().regex(TAG_RE, {
        error: 'invalid tag: expected printable ascii (except `,` and `/`) or valid utf-8 sequences',
      }),
    )
    .nullable()
    .default(null);

/** A foreign key as Kong shows it: `{ id }`. */
export const foreignKey = () => z.strictObject({ id: uuid() });

/** A non-empty string (Kong rejects `""` with "length must be at least 1"). */
export const nonEmpty = () => z.string().min(1, { error: 'length must be at least 1' });

/** An optional field that Kong stores as null when unset. */
export const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** Whether `s` is a DNS hostname (labels of letters, digits and inner dashes; underscores tolerated as Kong does). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split('.').every((label) => LABEL_RE.test(label.replace(/_/g, 'a')));
}

/** Whether `s` is an IPv4 address in dotted-quad form. */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Whether `s` is an IPv6 address (no brackets, no zone). */
export function isIPv6(s: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}

/** A host as Kong's `typedefs.host`: a hostname or an IP address (IPv6 without brackets). */
export const host = () =>
  z.string().refine((s) => isHostname(s) || isIPv4(s) || isIPv6(s), {
    error: (iss) => `invalid value: ${String(iss.input)}`,
  });

/** A hostname only (no IP), for upstream names and SNIs. */
export const hostname = () =>
  z.string().refine((s) => isHostname(s), { error: (iss) => `invalid hostname: ${String(iss.input)}` });

/** A PEM string. Parsing (does it hold a certificate or key) is checked by the families that need it. */
export const pem = () => z.string().min(1, { error: 'length must be at least 1' });

/** Characters allowed in names of services, routes, upstream names etc. (Kong's `typedefs.utf8_name`). */
export const utf8Name = () =>
  z.string().regex(/^[\p{L}\p{N}._~-]+$/u, {
    error: 'invalid value: the only accepted ascii characters are alphanumerics or ., -, _, and ~',
  });

/** HTTP status code 100..999 as Kong's `typedefs.http_status`. */
export const httpStatus = () => intBetween(100, 999);
