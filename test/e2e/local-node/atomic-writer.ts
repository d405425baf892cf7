import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One file of a Secret/ConfigMap/projected volume: its bytes and mode. */
export interface PayloadFile {
  data: Buffer;
  mode: number;
}

/** Relative path → file, as the kubelet computes it from the volume source (items, defaultMode). */
export type Payload = Map<string, PayloadFile>;

const DATA_LINK = '..data';
const HASH_FILE = '..payload-hash';

/**
 * Writes `payload` into `dir` the way the kubelet's AtomicWriter does, so that a reader never sees a
 * half-written volume: the files go into a fresh `..<timestamp>` directory, `..data` is switched to it
 * by one rename of a symlink, and each top-level name is a symlink through `..data`. A payload equal
 * to the current one changes nothing (returns false).
 */
export async function writeAtomically(dir: string, payload: Payload): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const hash = payloadHash(payload);
  const previous = await readFile(join(dir, HASH_FILE), 'utf8').catch(() => undefined);
  if (previous === hash) return false;

  const oldTarget = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${process.hrtime.bigint() % 1000n}`;
  const tsDir = join(dir, stamp);
  await mkdir(tsDir);
  for (const [rel, file] of payload) {
    const target = join(tsDir, rel);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data);
    await chmod(target, file.mode);
  }
  const tmpLink = join(dir, `${DATA_LINK}_tmp`);
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));

  const topLevel = new Set([...payload.keys()].map((rel) => rel.split('/')[0]!));
  for (const name of topLevel) {
    const link = join(dir, name);
    const current = await readlink(link).catch(() => undefined);
    if (current === join(DATA_LINK, name)) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(join(DATA_LINK, name), link);
  }
  // Names gone from the payload, and the previous timestamped directory.
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('..')) continue;
    if (!topLevel.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
  if (oldTarget && oldTarget !== stamp) await rm(join(dir, oldTarget), { recursive: true, force: true });
  await writeFile(join(dir, HASH_FILE), hash);
  return true;
}

function payloadHash(payload: Payload): string {
  const h = createHash('sha256');
  for (const [rel, file] of [...payload].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${rel}\0${file.mode}\0${file.data.length}\0`);
    h.update(file.data);
  }
  return h.digest('hex');
}
