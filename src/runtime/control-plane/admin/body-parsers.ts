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

// Bounds on form parsing, so a hostile body cannot make qs build huge structures.
const QS_OPTIONS: qs.IParseOptions = {
  allowDots: true,
  depth: 10,
  arrayLimit: 1000,
  parameterLimit: 10_000,
  allowPrototypes: false,
  duplicates: 'combine',
  strictDepth: false,
};

const FORM_RE = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART_RE = /^multipart\/form-data\b/i;

/** Whether the request body came form-encoded or multipart (all values are strings and need coercion). */
export function isFormRequest(req: FastifyRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  return FORM_RE.test(type) || MULTIPART_RE.test(type);
}

/** Parses a form body with Kong's conventions. */
export function parseForm(text: string): Record<string, unknown> {
  return qs.parse(text, QS_OPTIONS) as Record<string, unknown>;
}

/** Replaces fastify's parsers with the Admin API's (Kong's error wording, empty bodies allowed). */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json\b/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AdminHttpError(400, 'Cannot parse JSON body'), undefined);
    }
  });
  app.addContentTypeParser(FORM_RE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseForm(String(body)));
    } catch {
      done(new AdminHttpError(400, 'Cannot parse form body'), undefined);
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
