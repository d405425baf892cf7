import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically, type Payload } from './atomic-writer.js';

const payload = (files: Record<string, string>, mode = 0o644): Payload =>
  new Map(Object.entries(files).map(([k, v]) => [k, { data: Buffer.from(v), mode }]));

describe('writeAtomically (the kubelet volume layout)', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('writes files behind ..data and swaps the whole set on a change, dropping removed keys', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hg-atomic-'));
    expect(await writeAtomically(dir, payload({ a: '1', 'sub/b': '2' }, 0o440))).toBe(true);
    expect(await readlink(join(dir, 'a'))).toBe('..data/a');
    expect(await readFile(join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o440);
    const firstTarget = await readlink(join(dir, '..data'));

    expect(await writeAtomically(dir, payload({ a: 'changed' }))).toBe(true);
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('changed');
    expect(await readlink(join(dir, '..data'))).not.toBe(firstTarget);
    const entries = await readdir(dir);
    expect(entries).not.toContain('sub');
    expect(entries).not.toContain(firstTarget); // the old generation is gone
  });

  it('changes nothing when the payload is the same', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hg-atomic-'));
    await writeAtomically(dir, payload({ a: '1' }));
    const target = await readlink(join(dir, '..data'));
    expect(await writeAtomically(dir, payload({ a: '1' }))).toBe(false);
    expect(await readlink(join(dir, '..data'))).toBe(target);
  });
});
