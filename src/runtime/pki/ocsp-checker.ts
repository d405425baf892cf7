import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { X509Certificate } from 'node:crypto';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { certificateExpiry } from './cert-inspect.js';
import { describeCertificate, type VerifiedPath } from './chain-verify.js';
import { buildOcspRequest, certIdFor, certIdKey } from './ocsp-request.js';
import { validateOcspResponse, type OcspAnswer } from './ocsp-response.js';

/** Kong's CLUSTERING_OCSP_TIMEOUT. */
export const DEFAULT_OCSP_TIMEOUT_MS = 5000;
/** Responses larger than this are not OCSP responses for one certificate. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** The verdict of a revocation check (assignable to the TLS policy's PeerVerdict). */
export type OcspVerdict = { ok: true; expiry: number } | { ok: false; reason: string };

/** Sends a DER request to a responder; resolves with the HTTP status and body. */
export type OcspTransport = (
  url: string,
  body: Buffer,
  timeoutMs: number,
) => Promise<{ status: number; body: Buffer }>;

/** How the CP checks DP certificates (cluster_ocsp = on | optional). */
export interface OcspCheckerOptions {
  mode: 'on' | 'optional';
  logger: Logger;
  timeoutMs?: number;
  /** Cached answers kept at most (oldest dropped first). */
  cacheSize?: number;
  now?: () => Date;
  transport?: OcspTransport;
}

/** A check that could not be done (no URI, network, HTTP status): `on` refuses, `optional` warns. */
class Unavailable extends Error {}

/** POSTs application/ocsp-request over http(s) with a deadline on the whole exchange. */
export const postOcspRequest: OcspTransport = (url, body, timeoutMs) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      reject(new Unavailable(`unsupported OCSP responder URI scheme ${u.protocol}`));
      return;
    }
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST',
      headers: {
        'content-type': 'application/ocsp-request',
        'content-length': body.length,
        accept: 'application/ocsp-response',
      },
      timeout: timeoutMs,
    });
    const timer = setTimeout(
      () => req.destroy(new Unavailable(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('timeout', () => req.destroy(new Unavailable(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof Unavailable ? err : new Unavailable(errorMessage(err)));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES)
          req.destroy(new Unavailable(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(new Unavailable(errorMessage(err)));
      });
    });
    req.end(body);
  });

/** The responder URIs of a certificate's Authority Information Access extension. */
export function ocspResponderUris(cert: X509Certificate): string[] {
  return (cert.infoAccess ?? '')
    .split('\n')
    .map((l) => /^OCSP - URI:(\S+)$/.exec(l.trim())?.[1])
    .filter((u): u is string => u !== undefined);
}

/**
 * The CP's OCSP check of DP certificates (seed 002, issue 5). Asks the responder named in the leaf's AIA
 * (POST, short timeout), validates the signed answer against the leaf's issuer, and caches it until its
 * nextUpdate (answers without nextUpdate are not cached). Revoked, unknown or invalid answers refuse in
 * every mode; a check that cannot be done refuses under `on` and lets the DP in with a warning under
 * `optional`. Concurrent checks of one certificate share a request.
 */
export function createOcspChecker(opts: OcspCheckerOptions): (path: VerifiedPath) => Promise<OcspVerdict> {
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.timeoutMs ?? DEFAULT_OCSP_TIMEOUT_MS;
  const transport = opts.transport ?? postOcspRequest;
  const cacheSize = opts.cacheSize ?? 1000;
  const cache = new Map<string, OcspAnswer>();
  const inflight = new Map<string, Promise<OcspAnswer>>();
  const log = opts.logger;

  const ask = async (leaf: X509Certificate, issuer: X509Certificate): Promise<OcspAnswer> => {
    const uri = ocspResponderUris(leaf)[0];
    if (!uri) throw new Unavailable('the certificate names no OCSP responder (Authority Information Access)');
    const req = buildOcspRequest(leaf, issuer);
    const res = await transport(uri, req.der, timeoutMs);
    if (res.status !== 200) throw new Unavailable(`responder ${uri} answered HTTP ${res.status}`);
    if (res.body.length === 0) throw new Unavailable(`responder ${uri} sent an empty body`);
    return validateOcspResponse(res.body, { issuer, cert: leaf, nonce: req.nonce, now: now() });
  };

  const answerFor = (leaf: X509Certificate, issuer: X509Certificate): Promise<OcspAnswer> => {
    const key = certIdKey(certIdFor(leaf, issuer));
    const hit = cache.get(key);
    if (hit?.nextUpdate && hit.nextUpdate > now()) return Promise.resolve(hit);
    cache.delete(key);
    let p = inflight.get(key);
    if (!p) {
      p = ask(leaf, issuer)
        .then((answer) => {
          if (answer.nextUpdate && answer.nextUpdate > now()) {
            if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
            cache.set(key, answer);
          }
          return answer;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
    }
    return p;
  };

  return async (path) => {
    const who = describeCertificate(path.leaf);
    let answer: OcspAnswer;
    try {
      answer = await answerFor(path.leaf, path.issuer);
    } catch (err) {
      if (err instanceof Unavailable) {
        if (opts.mode === 'optional') {
          log.warn(
            { certificate: who, reason: err.message },
            'OCSP check of data plane certificate could not be done, allowing it (cluster_ocsp = optional)',
          );
          return { ok: true, expiry: certificateExpiry(path.leaf) };
        }
        return { ok: false, reason: `OCSP check could not be done: ${err.message} (cluster_ocsp = on)` };
      }
      return { ok: false, reason: `OCSP response validation failed: ${errorMessage(err)}` };
    }
    if (answer.status === 'revoked') {
      return {
        ok: false,
        reason: `data plane certificate ${who} is revoked (since ${answer.revokedAt?.toISOString() ?? 'unknown time'})`,
      };
    }
    if (answer.status === 'unknown') {
      return {
        ok: false,
        reason: `OCSP response validation failed: the responder does not know data plane certificate ${who} (status unknown)`,
      };
    }
    return { ok: true, expiry: certificateExpiry(path.leaf) };
  };
}
