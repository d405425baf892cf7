import { describe, expect, it } from '@jest/globals';
import { parseDpLabels } from './dp-labels.js';
import { invalidReason } from './test-certificates.js';

const problems = (raw: string) => invalidReason(() => parseDpLabels(raw));


describe('parseDpLabels', () => {
  it('splits each label at the first colon', () => {
    expect(parseDpLabels('deployment:canary, region:eu-west-1,url:a:b')).toEqual({
      deployment: 'canary',
      region: 'eu-west-1',
      url: 'a:b',
    });
  });

  it('accepts exactly 10 labels and 63-character parts, case-insensitively', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).join(',');
    expect(Object.keys(parseDpLabels(ten))).toHaveLength(10);
    const k63 = 'A'.repeat(63);
    expect(parseDpLabels(`${k63}:${k63}`)).toEqual({ [k63]: k63 });
  });

  it('refuses 11 labels', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}:v${i}`).join(',');
    expect(problems(eleven)).toBe('11 labels given, at most 10 allowed');
  });

  it('refuses a 64-character key and an empty value', () => {
    const k64 = 'a'.repeat(64);
    expect(problems(`${k64}:v`)).toBe(`label "${k64}:v": the key must be 1-63 characters (got 64)`);
    expect(problems('region:')).toBe('label "region:": the value must be 1-63 characters (got 0)');
  });

  it.each(['kong', 'Konnect', 'insomnia', 'mesh', 'kic'])('refuses keys starting with %s', (prefix) => {
    expect(problems(`${prefix}-zone:a`)).toBe(
      `label "${prefix}-zone:a": keys starting with "${prefix.toLowerCase()}" are reserved`,
    );
  });

  it('refuses bad characters, bad ends and items without a colon, all in one message', () => {
    expect(problems('re gion:a,-x:b,x:b-,nocolon,a:b,a:c').split('; ')).toEqual([
      'label "re gion:a": the key must start and end with a letter or digit and contain only letters, digits, _, ., : or -',
      'label "-x:b": the key must start and end with a letter or digit and contain only letters, digits, _, ., : or -',
      'label "x:b-": the value must start and end with a letter or digit and contain only letters, digits, _, ., : or -',
      'label "nocolon" is not key:value',
      'label key "a" is given twice',
    ]);
  });

  it('gives {} for an empty value', () => {
    expect(parseDpLabels('  ')).toEqual({});
  });
});
