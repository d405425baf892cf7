/**
 * A bounded `multipart/form-data` reader for the Admin API: Kong's docs send certificates with
 * `curl -F cert=@cert.pem -F key=@key.pem`. Every part (file or not) becomes one text field; names keep
 * Kong's form conventions (`paths[]`, `config.minute`) and are then parsed like a urlencoded body.
 */

/** Most parts one body may carry (the same bound as form parameters). */
export const MAX_MULTIPART_PARTS = 1000;

/** The body is not well-formed multipart; the Admin API answers 400. */
export class MultipartError extends Error {}

const NAME_RE = /\bname="((?:[^"\\]|\\.)*)"/i;

/** The boundary parameter of a multipart content type. */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new MultipartError('missing multipart boundary');
  return boundary;
}

/** Splits a multipart body into [name, text value] pairs, in order. */
export function parseMultipart(body: Buffer, boundary: string): [string, string][] {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: [string, string][] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new MultipartError('no multipart boundary in the body');
  for (;;) {
    pos += delimiter.length;
    // `--` after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return fields;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else throw new MultipartError('malformed multipart delimiter');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new MultipartError('unterminated multipart headers');
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new MultipartError('unterminated multipart part');
    const disposition = headers.split('\r\n').find((l) => /^content-disposition:/i.test(l)) ?? '';
    const name = NAME_RE.exec(disposition)?.[1]?.replace(/\\(.)/g, '$1');
    if (name === undefined) throw new MultipartError('multipart part without a name');
    fields.push([name, body.subarray(headerEnd + 4, next).toString('utf8')]);
    if (fields.length > MAX_MULTIPART_PARTS)
      throw new MultipartError(`more than ${MAX_MULTIPART_PARTS} parts`);
    pos = next + 2;
  }
}

/** Re-encodes the fields as a urlencoded string, so one parser applies Kong's naming conventions. */
export function fieldsToUrlencoded(fields: readonly [string, string][]): string {
  return fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
