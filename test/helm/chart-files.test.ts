import { describe, it, expect, afterEach } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../envtest/binaries.js';
import { CHART_DIR } from './helm.js';

const run = promisify(execFile);

/** Runs hack/sync-chart-crds.sh of the tree at `root`; a non-zero exit is returned, not thrown. */
async function syncCrds(root: string, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(join(root, 'hack/sync-chart-crds.sh'), args, { timeout: 20_000 });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? '' };
  }
}

/** The files of `dir` that are CRDs (kind CustomResourceDefinition), sorted. */
async function crdFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const doc = parse(await readFile(join(dir, name), 'utf8')) as { kind?: string } | null;
    if (doc?.kind === 'CustomResourceDefinition') names.push(name);
  }
  return names;
}

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A throwaway copy of the pieces the sync script touches (hack/, crds/, charts/hybridgate/crds/). */
async function scratchTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hg-chart-crds-'));
  temps.push(root);
  await cp(join(REPO_ROOT, 'hack/sync-chart-crds.sh'), join(root, 'hack/sync-chart-crds.sh'));
  await cp(join(REPO_ROOT, 'crds'), join(root, 'crds'), { recursive: true });
  await cp(join(CHART_DIR, 'crds'), join(root, 'charts/hybridgate/crds'), { recursive: true });
  // Not a CRD: must never be copied into the chart (helm would try to install it as one).
  await writeFile(join(root, 'crds/kustomization.yaml'), 'resources: []\n');
  return root;
}

describe('chart files', () => {
  it("Chart.yaml's appVersion is package.json's version", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    expect(chart['appVersion']).toBe(pkg.version);
    expect(chart['apiVersion']).toBe('v2');
    expect(chart['name']).toBe('hybridgate');
  });

  it("the chart's crds/ hold exactly the top-level CRDs, byte for byte", async () => {
    const r = await syncCrds(REPO_ROOT, ['--check']);
    expect(r).toEqual({ code: 0, stderr: expect.stringContaining('matches crds/') });
    const top = await crdFiles(join(REPO_ROOT, 'crds'));
    expect(top.length).toBeGreaterThanOrEqual(3);
    expect((await readdir(join(CHART_DIR, 'crds'))).sort()).toEqual(top);
  });

  it('the sync check fails on an edited, a missing and a stale CRD, and sync repairs all three', async () => {
    const root = await scratchTree();
    const chartCrds = join(root, 'charts/hybridgate/crds');
    const [first, second] = (await readdir(chartCrds)).sort();
    await writeFile(join(chartCrds, first!), '# edited by hand\n', { flag: 'a' });
    await rm(join(chartCrds, second!));
    await writeFile(join(chartCrds, 'old_removed.yaml'), 'kind: CustomResourceDefinition\n');

    const check = await syncCrds(root, ['--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${first} (differs`);
    expect(check.stderr).toContain(`${second} (differs`);
    expect(check.stderr).toContain('old_removed.yaml (not in crds/)');
    expect(check.stderr).not.toContain('kustomization.yaml');
    // --check must not have changed anything.
    expect(await readFile(join(chartCrds, first!), 'utf8')).toContain('# edited by hand');

    expect((await syncCrds(root, [])).code).toBe(0);
    expect(await syncCrds(root, ['--check'])).toMatchObject({ code: 0 });
    const crds = await crdFiles(join(root, 'crds'));
    expect(await readdir(chartCrds)).toEqual(crds);
    for (const name of crds) {
      expect(await readFile(join(chartCrds, name), 'utf8')).toBe(
        await readFile(join(root, 'crds', name), 'utf8'),
      );
    }
  });

  it('the sync script rejects unknown arguments', async () => {
    expect(await syncCrds(REPO_ROOT, ['--frobnicate'])).toEqual({
      code: 2,
      stderr: expect.stringContaining('unknown argument: --frobnicate'),
    });
  });

  it('values.yaml and values.schema.json describe the same keys (every value is documented and typed)', async () => {
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;
    expect(keyPaths(values, schema).sort()).toEqual(schemaPaths(schema, schema).sort());
  });
});

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  $ref?: string;
  definitions?: Record<string, Schema>;
}

/** Follows a local `#/definitions/x` reference. */
function resolve(s: Schema, root: Schema): Schema {
  return s.$ref ? root.definitions![s.$ref.replace('#/definitions/', '')]! : s;
}

/** Dotted paths of the schema's declared properties, down to the objects with fixed keys. */
function schemaPaths(s: Schema, root: Schema, prefix = ''): string[] {
  const props = resolve(s, root).properties;
  if (!props) return [];
  return Object.entries(props).flatMap(([k, v]) => {
    const path = prefix + k;
    const nested = resolve(v, root).properties ? schemaPaths(v, root, `${path}.`) : [];
    return [path, ...nested];
  });
}

/** Dotted paths of values.yaml, descending only where the schema declares fixed keys. */
function keyPaths(v: Record<string, unknown>, s: Schema, prefix = '', root: Schema = s): string[] {
  const props = resolve(s, root).properties ?? {};
  return Object.entries(v).flatMap(([k, child]) => {
    const path = prefix + k;
    const sub = props[k];
    const descend = sub && resolve(sub, root).properties && child && typeof child === 'object';
    return [path, ...(descend ? keyPaths(child as Record<string, unknown>, sub, `${path}.`, root) : [])];
  });
}
