import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A throwaway JavaScript build of src/ (what node:cluster workers run in tests) and its removal. */
export interface TranspiledSrc {
  /** The directory that mirrors src/ (`<dir>/runtime/...`). */
  dir: string;
  remove(): void;
}

/**
 * Transpiles src/runtime and src/shared (without tests) into a temp dir with swc, with node_modules linked beside it, so a
 * test can start real processes on the current sources (jest itself runs TypeScript in memory, which a
 * forked process cannot). Type errors are tsc's business; this only strips types.
 */
export async function transpileSrc(): Promise<TranspiledSrc> {
  const root = mkdtempSync(join(tmpdir(), 'hg-src-js-'));
  const out = join(root, 'src');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) files.push(p);
    }
  };
  // The runtime and what it shares; the operator and CLI are not needed by a data plane process.
  walk(join(ROOT, 'src', 'runtime'));
  walk(join(ROOT, 'src', 'shared'));
  await Promise.all(
    files.map(async (f) => {
      const r = await transformFile(f, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: false,
      });
      const target = join(out, relative(join(ROOT, 'src'), f)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, r.code);
    }),
  );
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  return { dir: out, remove: () => rmSync(root, { recursive: true, force: true }) };
}
