import { describe, expect, it } from '@jest/globals';
import { MultipartError, fieldsToUrlencoded, multipartBoundary, parseMultipart } from './multipart.js';

const body = (parts: string[], boundary = 'XyZ') =>
  Buffer.from(parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`);

describe('multipart', () => {
  it('reads named fields and files as text, in order, keeping form names', () => {
    const b = body([
      'Content-Disposition: form-data; name="paths[]"\r\n\r\n/a',
      'Content-Disposition: form-data; name="cert"; filename="c.pem"\r\nContent-Type: application/x-pem-file\r\n\r\n-----BEGIN X-----\r\nabc\r\n-----END X-----',
      'Content-Disposition: form-data; name="config.minute"\r\n\r\n5',
    ]);
    const fields = parseMultipart(b, 'XyZ');
    expect(fields).toEqual([
      ['paths[]', '/a'],
      ['cert', '-----BEGIN X-----\r\nabc\r\n-----END X-----'],
      ['config.minute', '5'],
    ]);
    expect(fieldsToUrlencoded(fields)).toContain('config.minute=5');
  });

  it('finds the boundary, quoted or not, and refuses broken bodies with a typed error', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(() => multipartBoundary('multipart/form-data')).toThrow(MultipartError);
    expect(() => parseMultipart(Buffer.from('nothing here'), 'XyZ')).toThrow(MultipartError);
    expect(() =>
      parseMultipart(Buffer.from('--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--'), 'XyZ'),
    ).toThrow(/without a name/);
    expect(() =>
      parseMultipart(Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'), 'XyZ'),
    ).toThrow(/unterminated/);
    const many = body(
      Array.from({ length: 1001 }, (_, i) => `Content-Disposition: form-data; name="f${i}"\r\n\r\nv`),
    );
    expect(() => parseMultipart(many, 'XyZ')).toThrow(/more than 1000 parts/);
  });
});
