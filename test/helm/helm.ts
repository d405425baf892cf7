import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, testBinDir } from '../envtest/binaries.js';

const run = promisify(execFile);

/** The chart under test. */
export const CHART_DIR = join(REPO_ROOT, 'charts/hybridgate');

/** Result of a helm run (a non-zero exit is returned, not thrown, so tests can assert on stderr). */
export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A rendered Kubernetes object (what the tests read of it). */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/**
 * Runs the hack/-built helm with its own cache, config and data homes (a temp dir per helper), so
 * tests never read or write the user's helm state.
 */
export class Helm {
  private constructor(
    private readonly bin: string,
    private readonly home: string,
    private readonly kubeconfig?: string,
  ) {}

  /** A helper with fresh helm homes; `kubeconfig` is for install/upgrade/uninstall. */
  static async create(kubeconfig?: string): Promise<Helm> {
    const bin = join(await testBinDir(), 'helm');
    return new Helm(bin, await mkdtemp(join(tmpdir(), 'hg-helm-')), kubeconfig);
  }

  /** Runs `helm <args>`; `values` (if any) are written to a file and passed with --values. */
  async run(args: string[], values?: object): Promise<HelmResult> {
    const full = [...args];
    if (values) {
      const file = join(this.home, `values-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(file, stringify(values));
      full.push('--values', file);
    }
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: this.home,
      HELM_CACHE_HOME: join(this.home, 'cache'),
      HELM_CONFIG_HOME: join(this.home, 'config'),
      HELM_DATA_HOME: join(this.home, 'data'),
      ...(this.kubeconfig ? { KUBECONFIG: this.kubeconfig } : {}),
    };
    try {
      const { stdout, stderr } = await run(this.bin, full, { env, timeout: 60_000, maxBuffer: 16 << 20 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string; message?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr || (e.message ?? ''),
      };
    }
  }

  /** `helm template` of the chart with `values`; throws with helm's stderr when rendering fails. */
  async template(values?: object, opts: { release?: string; namespace?: string } = {}): Promise<Rendered> {
    const r = await this.run(
      ['template', opts.release ?? 'hg', CHART_DIR, '--namespace', opts.namespace ?? 'hybridgate-system'],
      values,
    );
    if (r.code !== 0) throw new Error(`helm template failed (exit ${r.code}): ${r.stderr}`);
    return new Rendered(parseManifests(r.stdout));
  }

  /** Removes the helm homes. */
  async cleanup(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

/** Parses a multi-document manifest, skipping empty documents; YAML errors throw. */
export function parseManifests(text: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as RenderedObject | null;
    if (obj) objects.push(obj);
  }
  return objects;
}

/** The objects of one render, looked up by kind and name. */
export class Rendered {
  constructor(readonly objects: RenderedObject[]) {}

  /** `Kind/name` of every object, sorted (to assert the exact set). */
  get ids(): string[] {
    return this.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  }

  /** The one object of `kind` (optionally with `name`); throws naming what exists when there is not exactly one. */
  get<T = RenderedObject>(kind: string, name?: string): T {
    const found = this.objects.filter(
      (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
    );
    if (found.length !== 1)
      throw new Error(
        `expected one ${kind}${name ? `/${name}` : ''}, found ${found.length} in ${this.ids.join(', ')}`,
      );
    return found[0] as T;
  }
}
