import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage, HybridgateError } from '../../../shared/errors.js';
import { watchPemFiles, type PemFileWatcher } from '../../protocol/pem-file-watcher.js';

/**
 * The Admin API's token set (`admin_auth = token`): read from `admin_auth_tokens_file`, kept only as
 * SHA-256 digests, compared in constant time, and re-read when the file changes (a Kubernetes Secret
 * mount swaps its `..data` link; the watcher follows directories, not inodes).
 */

/** The tokens file is missing, unreadable, empty or holds an unusable token. */
export class AdminTokensError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>) {
    super('HG_ERR_ADMIN_TOKENS', message, context);
  }
}

/** Shortest token accepted: shorter ones are guessable, and are almost always a mistake (a stray word). */
export const MIN_TOKEN_LENGTH = 16;

// Visible ASCII only: a token travels in an HTTP header, where anything else is mangled or refused.
const TOKEN_RE = /^[\x21-\x7e]+$/;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Parses a tokens file: one token per line, blank lines and `#` comments ignored, surrounding
 * whitespace trimmed. Returns the digests; throws AdminTokensError naming the line (never the token).
 */
export function parseTokensText(text: string, file: string): Buffer[] {
  const digests: Buffer[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = { file, line: i + 1 };
    if (!TOKEN_RE.test(line)) {
      throw new AdminTokensError(
        `${file}:${i + 1}: invalid token (expected visible ASCII characters without spaces)`,
        where,
      );
    }
    if (line.length < MIN_TOKEN_LENGTH) {
      throw new AdminTokensError(
        `${file}:${i + 1}: token too short (expected at least ${MIN_TOKEN_LENGTH} characters)`,
        where,
      );
    }
    digests.push(digest(line));
  }
  if (digests.length === 0) {
    throw new AdminTokensError(`${file}: no token (expected one token per line)`, { file });
  }
  return digests;
}

function readTokensFile(file: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AdminTokensError(`${file}: cannot read the admin tokens file (${code})`, { file, code });
  }
  return parseTokensText(text, file);
}

/** The live token set of one Admin API. */
export interface AdminTokens {
  /** Whether `candidate` is one of the tokens; time does not depend on which one or on a prefix match. */
  verify(candidate: string): boolean;
  /** How many tokens are loaded (for logs; never the tokens). */
  size(): number;
  close(): void;
}

/** Options of loadAdminTokens. */
export interface AdminTokensOptions {
  file: string;
  logger: Logger;
  /** Fallback poll of the file (default 5000 ms). */
  pollIntervalMs?: number;
  /** Called after a reload was applied or refused (tests wait on it). */
  onReload?: (outcome: 'loaded' | 'kept') => void;
}

/**
 * Loads the tokens (throws AdminTokensError when the file is unusable at start) and watches the file.
 * A change that leaves it unusable keeps the previous set and logs an error: a half-written Secret must
 * not lock the operator out, and must not open the API either.
 */
export function loadAdminTokens(opts: AdminTokensOptions): AdminTokens {
  let digests = readTokensFile(opts.file);
  const log = opts.logger;
  log.info({ file: opts.file, tokens: digests.length }, 'admin api tokens loaded');
  const watcher: PemFileWatcher = watchPemFiles({
    paths: [opts.file],
    ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
    settleMs: 50,
    onChange: () => {
      try {
        digests = readTokensFile(opts.file);
        log.info({ file: opts.file, tokens: digests.length }, 'admin api tokens reloaded');
        opts.onReload?.('loaded');
      } catch (err) {
        log.error(
          { file: opts.file, err: errorMessage(err) },
          'admin api tokens not reloaded, keeping the previous ones',
        );
        opts.onReload?.('kept');
      }
    },
    onWatchError: (dir, err) =>
      log.warn({ dir, err }, 'cannot watch the admin tokens directory, polling only'),
  });
  return {
    verify(candidate) {
      const want = digest(candidate);
      let match = false;
      // Every digest is compared, so the time does not tell which token (or whether an early one) matched.
      for (const d of digests) match = timingSafeEqual(d, want) || match;
      return match;
    },
    size: () => digests.length,
    close: () => watcher.close(),
  };
}

/**
 * The token a request presents: `Authorization: Bearer <t>` (RFC 6750) or `Kong-Admin-Token: <t>`
 * (Kong Enterprise's header). Null when neither is there in a usable form.
 */
export function presentedTokens(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m?.[1]) out.push(m[1]);
  }
  const kong = headers['kong-admin-token'];
  if (typeof kong === 'string' && kong.trim() !== '') out.push(kong.trim());
  return out;
}
