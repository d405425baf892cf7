// No Docker engine runs on our machines, so the Dockerfile is checked statically: its stages, the user
// it runs as, its entry point, and that what it copies exists in the repository.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

const root = new URL('../../', import.meta.url);

/** Splits a Dockerfile into instructions (continuations joined, comments dropped), each with its stage. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n\s*/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const line of logical.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    out.push({ keyword, args, stage });
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(new URL('Dockerfile', root), 'utf8'));
const inStage = (stage: string) => dockerfile.filter((i) => i.stage === stage);
const stages = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.stage);
const finalStage = stages[stages.length - 1]!;

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with dev dependencies, a production-only deps stage, a run stage', () => {
    expect(stages).toEqual(['build', 'deps', 'run']);
    expect(inStage('build').some((i) => i.keyword === 'RUN' && /npm ci(?!.*--omit=dev)/.test(i.args))).toBe(
      true,
    );
    expect(inStage('deps').some((i) => i.keyword === 'RUN' && /npm ci .*--omit=dev/.test(i.args))).toBe(true);
  });

  it('builds on a Node LTS slim image and runs on a shell-less base', () => {
    for (const from of dockerfile.filter((i) => i.keyword === 'FROM' && i.stage !== finalStage)) {
      const major = Number(/node:(\d+)-/.exec(from.args)?.[1]);
      expect(major % 2).toBe(0); // even majors are the LTS lines
      expect(major).toBeGreaterThanOrEqual(22);
      expect(from.args).toMatch(/slim/);
    }
    expect(inStage(finalStage)[0]!.args).toMatch(/distroless\/nodejs\d+/);
    expect(inStage(finalStage).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('runs as a non-root numeric user', () => {
    const user = inStage(finalStage).filter((i) => i.keyword === 'USER');
    expect(user).toHaveLength(1);
    const [uid, gid] = user[0]!.args.split(':').map(Number);
    expect(Number.isInteger(uid) && uid! > 0).toBe(true);
    expect(Number.isInteger(gid) && gid! > 0).toBe(true);
  });

  it('has the hybridgate CLI as its entry point, and the run stage copies only what exists', () => {
    const entry = inStage(finalStage).find((i) => i.keyword === 'ENTRYPOINT')!;
    expect(JSON.parse(entry.args)).toEqual(['/nodejs/bin/node', '/app/bin/hybridgate.js']);
    expect(existsSync(new URL('bin/hybridgate.js', root))).toBe(true);
    for (const copy of inStage(finalStage).filter(
      (i) => i.keyword === 'COPY' && !i.args.startsWith('--from'),
    )) {
      const source = copy.args.split(/\s+/)[0]!;
      expect(existsSync(new URL(source, root))).toBe(true);
    }
  });

  it('carries OCI labels', () => {
    const labels = inStage(finalStage)
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'description', 'version', 'licenses']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local build outputs and dependencies out of the build context', () => {
    const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
