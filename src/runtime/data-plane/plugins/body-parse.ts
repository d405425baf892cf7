/**
 * Request bodies as the transformer and key-auth plugins read them: JSON objects and url-encoded
 * forms (Kong's `kong.request.get_body` minus multipart, which passes through untouched).
 */
import qs from 'qs';

/** A parsed body: `kind` says how to serialise it back. */
export type ParsedBody =
  | { kind: 'json'; value: Record<string, unknown> }
  | { kind: 'form'; value: Record<string, unknown> }
  | { kind: 'other' };

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Whether a media type is JSON (application/json or a +json suffix). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Parses a body by its Content-Type; malformed JSON or a non-object JSON is 'other' (left alone). */
export function parseBody(buf: Buffer, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  if (isJsonType(type)) {
    if (buf.length === 0) return { kind: 'json', value: {} };
    try {
      const v: unknown = JSON.parse(buf.toString('utf8'));
      if (typeof v === 'object' && v !== null && !Array.isArray(v))
        return { kind: 'json', value: v as Record<string, unknown> };
    } catch {
      // Not JSON after all: forwarded as received.
    }
    return { kind: 'other' };
  }
  if (type === 'application/x-www-form-urlencoded') {
    return {
      kind: 'form',
      value: qs.parse(buf.toString('utf8'), { depth: 0, arrayLimit: 100 }) as Record<string, unknown>,
    };
  }
  return { kind: 'other' };
}

/** Serialises a parsed body back (JSON, or a url-encoded form with repeated keys for arrays). */
export function serializeBody(body: ParsedBody & { value: Record<string, unknown> }): Buffer {
  if (body.kind === 'json') return Buffer.from(JSON.stringify(body.value));
  return Buffer.from(qs.stringify(body.value, { arrayFormat: 'repeat' }));
}
