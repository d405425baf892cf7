import { describe, expect, it } from '@jest/globals';
import { parseConfText, stripComment } from './conf-file-parser.js';

describe('stripComment', () => {
  it('cuts at the first unescaped #', () => {
    expect(stripComment('a = b # comment')).toBe('a = b ');
    expect(stripComment('# whole line')).toBe('');
  });

  it('keeps an escaped \\# as a literal #', () => {
    expect(stripComment('pg_password = abc\\#def # real comment')).toBe('pg_password = abc#def ');
  });
});

describe('parseConfText', () => {
  const value = (text: string, key: string) => parseConfText(text, 'k.conf').entries.get(key)?.value;

  it('reads key = value lines, ignoring blank lines, comments and surrounding whitespace', () => {
    const text = [
      '# a comment',
      '',
      '   role   =   control_plane   ',
      '\tlog_level=debug # trailing comment',
      'prefix = /var/run/x#no space before comment',
    ].join('\n');
    const parsed = parseConfText(text, 'k.conf');
    expect(parsed.errors).toEqual([]);
    expect(Object.fromEntries([...parsed.entries].map(([k, e]) => [k, e.value]))).toEqual({
      role: 'control_plane',
      log_level: 'debug',
      prefix: '/var/run/x',
    });
    expect(parsed.entries.get('log_level')?.line).toBe(4);
  });

  it('keeps = inside the value and handles CRLF and a BOM', () => {
    expect(value('\uFEFFpg_password = a=b=c\r\nrole = data_plane\r\n', 'pg_password')).toBe('a=b=c');
    expect(value('\uFEFFpg_password = a=b=c\r\nrole = data_plane\r\n', 'role')).toBe('data_plane');
  });

  it('gives an empty value for `key =` (Kong NONE)', () => {
    expect(value('cluster_dp_labels =', 'cluster_dp_labels')).toBe('');
  });

  it('unescapes \\# in values', () => {
    expect(value('pg_password = p\\#ss', 'pg_password')).toBe('p#ss');
  });

  it('lets the last assignment win, with a warning naming both lines', () => {
    const parsed = parseConfText('role = data_plane\nrole = control_plane\n', 'k.conf');
    expect(parsed.entries.get('role')?.value).toBe('control_plane');
    expect(parsed.warnings).toEqual(['k.conf:2: role is set again (line 1); the last value wins']);
  });

  it('reports every malformed line with its line number', () => {
    const parsed = parseConfText('role data_plane\nBad-Key = 1\n = x\nok = 1\n', 'k.conf');
    expect(parsed.errors).toEqual([
      'k.conf:1: "role data_plane" is not an assignment (expected key = value)',
      'k.conf:2: "Bad-Key" is not a property name (expected lower-case letters, digits and _)',
      'k.conf:3: "" is not a property name (expected lower-case letters, digits and _)',
    ]);
    expect(parsed.entries.get('ok')?.value).toBe('1');
  });
});
