import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { PemValue } from './types.js';
import { InvalidValue, quote, splitList, type ValueType } from './value-types.js';

/**
 * Certificates and keys given, as Kong allows, as a file path, as PEM text (an environment variable
 * with newlines) or as base64 of the PEM text (a single-line environment variable). The content is
 * checked here so that a wrong file fails at startup, naming the property, not at the first handshake.
 */

/** What a PEM property holds: one certificate (or a bundle), or a private key. */
export type PemKind = 'certificate' | 'key';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}$/;

/** The PEM blocks of a text, with their labels (`CERTIFICATE`, `EC PRIVATE KEY`, ...). */
function pemBlocks(text: string): { label: string; block: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, block: m[0] }));
}

/** Checks that `pem` holds what `kind` needs; throws InvalidValue naming `origin`. */
function checkContent(pem: string, kind: PemKind, origin: string): void {
  const blocks = pemBlocks(pem);
  if (kind === 'certificate') {
    const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
    if (certs.length === 0) throw new InvalidValue(`${origin} holds no PEM certificate`);
    for (const [i, c] of certs.entries()) {
      try {
        new X509Certificate(c.block);
      } catch {
        throw new InvalidValue(`certificate ${i + 1} of ${origin} cannot be parsed`);
      }
    }
    return;
  }
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) throw new InvalidValue(`${origin} holds no PEM private key`);
  if (keys.some((k) => k.label === 'ENCRYPTED PRIVATE KEY')) {
    throw new InvalidValue(`${origin} holds an encrypted private key (passphrases are not supported)`);
  }
  try {
    createPrivateKey(keys[0]!.block);
  } catch {
    throw new InvalidValue(`${origin} holds a private key that cannot be parsed`);
  }
}

/**
 * Whether a secret property's value may be echoed as a path in an error. A mangled inline key (a
 * base64 line with a typo, a PEM body without its BEGIN line) falls through to "it is a path", and
 * echoing it would print the key; a value is shown only when it plainly is a path.
 */
function looksLikePath(value: string): boolean {
  if (value.includes('\0') || (BASE64.test(value) && value.length >= 32)) return false;
  return value.includes('/') || /\.(pem|key|crt|cer)$/i.test(value);
}

/** Reads one PEM value: inline PEM, base64 PEM, or a path (relative to `cwd`). */
export function loadPemValue(raw: string, kind: PemKind, cwd: string, secret: boolean): PemValue {
  const value = raw.trim();
  if (value === '') throw new InvalidValue('an empty value is not allowed');
  if (value.includes('-----BEGIN ')) {
    // Environment variables sometimes carry `\n` escapes instead of newlines.
    // Values arrive trimmed; PEM files end with a newline, and so does the text we hand on.
    const pem = `${value.includes('\n') ? value : value.replace(/\\n/g, '\n')}\n`;
    checkContent(pem, kind, 'the inline PEM value');
    return { path: null, pem };
  }
  if (BASE64.test(value) && value.length >= 64) {
    const decoded = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN ')) {
      checkContent(decoded, kind, 'the base64 PEM value');
      return { path: null, pem: decoded };
    }
  }
  if (/[\r\n]/.test(value)) throw new InvalidValue(`${quote(value, secret)} is neither PEM, base64 PEM nor a path`);
  const file = isAbsolute(value) ? value : resolve(cwd, value);
  const hidden = secret && !looksLikePath(value);
  const shown = hidden ? 'the value (not shown: a secret property)' : `file ${file}`;
  let pem: string;
  try {
    if (!statSync(file).isFile()) throw new InvalidValue(`${hidden ? shown : file} is not a file`);
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InvalidValue) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidValue(
      code === 'ENOENT' ? `${shown} does not exist` : `${shown} cannot be read (${code ?? 'error'})`,
    );
  }
  checkContent(pem, kind, `file ${file}`);
  return { path: file, pem };
}

const EXPECTED: Record<PemKind, string> = {
  certificate: 'a path to a PEM certificate file, PEM content or base64-encoded PEM',
  key: 'a path to a PEM private key file, PEM content or base64-encoded PEM',
};

/** A single certificate or key property (NONE allowed: `''` gives null). */
export function pem(kind: PemKind): ValueType<PemValue | null> {
  return {
    expected: EXPECTED[kind],
    parse: (raw, ctx) => (raw.trim() === '' ? null : loadPemValue(raw, kind, ctx.cwd, ctx.secret)),
  };
}

/** A comma list of certificates or keys (ssl_cert, ssl_cert_key). */
export function pemList(kind: PemKind): ValueType<PemValue[]> {
  return {
    expected: `a comma-separated list, each ${EXPECTED[kind]}`,
    parse(raw, ctx) {
      const value = raw.trim();
      if (value === '') return [];
      // Inline PEM items are separated by a comma after an END line (a chain of blocks is one item).
      const parts = value.includes('-----BEGIN ')
        ? value.split(/(?<=-----)\s*,\s*/).map((s) => s.trim())
        : splitList(value);
      return parts.map((part, i) => {
        if (part === '') throw new InvalidValue(`item ${i + 1} is empty`);
        return loadPemValue(part, kind, ctx.cwd, ctx.secret);
      });
    },
  };
}
