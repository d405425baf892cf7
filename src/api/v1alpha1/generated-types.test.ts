import { describe, it, expect, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname ?? '.', '../../..');
const SCRIPT = join(REPO, 'hack/generate-types.mjs');
const tmpDirs: string[] = [];

async function check(root?: string): Promise<{ code: number; stderr: string }> {
  const args = [SCRIPT, '--check', ...(root ? ['--root', root] : [])];
  try {
    const { stderr } = await run(process.execPath, args, { cwd: REPO });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('generated API types', () => {
  it('match the CRD schemas (regenerated in memory by hack/generate-types.mjs --check)', async () => {
    // The negative case runs beside it: a copy of the repo inputs with one CRD description changed.
    const root = await mkdtemp(join(tmpdir(), 'hg-gentypes-'));
    tmpDirs.push(root);
    await cp(join(REPO, 'crds'), join(root, 'crds'), { recursive: true });
    await cp(join(REPO, 'src/api'), join(root, 'src/api'), { recursive: true });
    const crd = join(root, 'crds/hybridgate.dev_dataplanes.yaml');
    const text = await readFile(crd, 'utf8');
    const edited = text.replace('The first 8 digits of configHash', 'The first eight digits of configHash');
    expect(edited).not.toBe(text);
    await writeFile(crd, edited);

    const [clean, drifted] = await Promise.all([check(), check(root)]);
    expect(clean).toEqual({ code: 0, stderr: '' });
    expect(drifted.code).toBe(1);
    expect(drifted.stderr).toContain('src/api/v1alpha1/generated/dataplane.ts');
    expect(drifted.stderr).not.toContain('hybridcluster.ts');
  });
});
