import { SECRET_PROPERTIES } from './properties.js';
import type { Conf, PemValue } from './types.js';

/**
 * A printable copy of a conf (`hybridgate start --dump-config`, the Admin API's `GET /`, the DP's
 * `basic_info`): secrets become `******` and certificates are shown by their path, never their content.
 */

/** The mask secrets are replaced with (Kong's). */
export const REDACTED = '******';

/** The placeholder of a certificate given inline or as base64. */
export const INLINE_PEM = '<inline PEM>';

function isPemValue(v: unknown): v is PemValue {
  return typeof v === 'object' && v !== null && 'pem' in v && 'path' in v;
}

function showPem(v: PemValue): string {
  return v.path ?? INLINE_PEM;
}

/** Returns a JSON-safe copy of `conf` with secrets masked and PEM contents replaced. */
export function redactConf(conf: Conf): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(conf) as [string, unknown][]) {
    if (SECRET_PROPERTIES.has(key)) {
      // Unset stays visible as unset: a mask would suggest a value exists.
      const empty = value === null || (Array.isArray(value) && value.length === 0);
      out[key] = empty ? value : Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
    } else if (isPemValue(value)) {
      out[key] = showPem(value);
    } else if (Array.isArray(value)) {
      out[key] = value.map((v) => (isPemValue(v) ? showPem(v) : structuredClone(v)));
    } else {
      out[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
    }
  }
  return out;
}
