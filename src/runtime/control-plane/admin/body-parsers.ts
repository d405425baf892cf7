import type { FastifyInstance, FastifyRequest } from 'fastify';
import qs from 'qs';
import { AdminHttpError } from './admin-errors.js';
import { fieldsToUrlencoded, multipartBoundary, parseMultipart } from './multipart.js';

/**
 * Request bodies the Admin API accepts, as Kong's: JSON, and `application/x-www-form-urlencoded` in
 * Kong's forms (`paths[]=/a`, repeated `paths=/a&paths=/b`, `config.minute=5`, `service.id=...`,
 * `hosts[1]=a`), and `multipart/form-data` with the same field names (`curl -F cert=@cert.pem`).
 * YAML text is accepted too, for `POST /config`. Anything else is 415.
 */

/**
 * Largest body accepted: Kong's default `nginx_admin_client_max_body_size` (10m). Declarative configs
 * posted to `/config` are bound by it as well.
 */
export const ADMIN_BODY_LIMIT = 10 * 1024 * 1024;

/** Most fields a form body may have (qs spends ~0.1 ms per field; 10,000 cost 300 ms of event loop). */
export const FORM_PARAMETER_LIMIT = 1000;

// Bounds on form parsing, so a hostile body cannot make qs build huge structures.
const QS_OPTIONS: qs.IParseOptions = {
  allowDots: true,
  depth: 10,
  arrayLimit: 1000,
  parameterLimit: FORM_PARAMETER_LIMIT,
  allowPrototypes: false,
  duplicates: 'combine',
  strictDepth: false,
};

const FORM_RE = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART_RE = /^multipart\/form-data\b/i;

/**
 * Refuses the keys that poison prototypes when a body is later merged or spread (fastify's default
 * `onProtoPoisoning`/`onConstructorPoisoning: 'error'`, lost when its JSON parser is replaced): an own
 * `__proto__` key, or a `constructor` object holding `prototype`. JSON.parse itself makes them plain
 * own keys, but `Object.assign`, `out[k] = v` merges and PATCH merging turn them into prototype writes.
 */
function rejectPoisonedKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new AdminHttpError(400, "Cannot parse JSON body: forbidden key '__proto__'");
  if (
    key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    Object.hasOwn(value, 'prototype')
  ) {
    throw new AdminHttpError(400, "Cannot parse JSON body: forbidden key 'constructor.prototype'");
  }
  return value;
}

/** Parses a JSON body, refusing prototype-poisoning keys; throws AdminHttpError 400 on bad input. */
export function parseJsonBody(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, rejectPoisonedKeys);
  } catch (err) {
    if (err instanceof AdminHttpError) throw err;
    throw new AdminHttpError(400, 'Cannot parse JSON body');
  }
  return parsed;
}

/** Whether the request body came form-encoded or multipart (all values are strings and need coercion). */
export function isFormRequest(req: FastifyRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  return FORM_RE.test(type) || MULTIPART_RE.test(type);
}

/** Parses a form body with Kong's conventions. */
export function parseForm(text: string): Record<string, unknown> {
  // Counted here rather than with qs's throwOnLimitExceeded, which would also turn its arrayLimit
  // (large indices become object keys, as Kong's forms expect) into an error.
  let fields = 1;
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (++fields > FORM_PARAMETER_LIMIT)
      throw new AdminHttpError(400, `Cannot parse form body: more than ${FORM_PARAMETER_LIMIT} fields`);
  }
  return qs.parse(text, QS_OPTIONS) as Record<string, unknown>;
}

/** Replaces fastify's parsers with the Admin API's (Kong's error wording, empty bodies allowed). */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json\b/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, parseJsonBody(text));
    } catch (err) {
      done(err as AdminHttpError, undefined);
    }
  });
  app.addContentTypeParser(FORM_RE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseForm(String(body)));
    } catch (err) {
      done(
        err instanceof AdminHttpError ? err : new AdminHttpError(400, 'Cannot parse form body'),
        undefined,
      );
    }
  });
  app.addContentTypeParser(MULTIPART_RE, { parseAs: 'buffer' }, (req, body, done) => {
    try {
      const boundary = multipartBoundary(req.headers['content-type'] ?? '');
      done(null, parseForm(fieldsToUrlencoded(parseMultipart(body as Buffer, boundary))));
    } catch (err) {
      done(new AdminHttpError(400, `Cannot parse multipart body: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser(
    /^(text\/(yaml|x-yaml|plain)|application\/(yaml|x-yaml))\b/i,
    { parseAs: 'string' },
    (_req, body, done) => done(null, String(body)),
  );
}
