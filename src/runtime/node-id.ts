import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The DP's node id: a UUID kept in `<prefix>/node.id` so a restarted DP keeps its row on the CP
 * (Kong keeps it in `<prefix>/kong.id`; CP and DP alike). A missing or mangled file gets a fresh id, written atomically.
 */
export function loadOrCreateNodeId(prefix: string, logger: Logger): string {
  const file = join(prefix, 'node.id');
  let existing: string | null = null;
  try {
    existing = readFileSync(file, 'utf8').trim().toLowerCase();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== null && UUID.test(existing)) return existing;
  if (existing !== null) logger.warn({ file }, 'node id file does not hold a UUID, generating a new node id');
  const id = randomUUID();
  mkdirSync(prefix, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${id}\n`, { mode: 0o644 });
  renameSync(tmp, file);
  return id;
}
