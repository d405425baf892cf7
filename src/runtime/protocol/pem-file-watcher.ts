import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../../shared/errors.js';

/** What to watch and how often to look anyway. */
export interface PemFileWatcherOptions {
  paths: readonly string[];
  /** Fallback poll for file systems where fs.watch misses events (default 5000 ms). */
  pollIntervalMs?: number;
  /** Quiet time after an event before reading, so a multi-file update is seen as one (default 100 ms). */
  settleMs?: number;
  /** Called once per change of the files' combined content (not per event). */
  onChange: () => void;
  /** The fingerprint the current material was read at (a change before watching began still counts). */
  initialFingerprint?: string;
  /** fs.watch could not be set up on a directory (the poll still runs). */
  onWatchError?: (dir: string, err: string) => void;
}

/** A running watcher. */
export interface PemFileWatcher {
  close(): void;
}

/** SHA-256 over every file's content (an unreadable file counts as such): what "changed" means. */
export function fingerprintFiles(paths: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(p).update('\0');
    try {
      h.update(readFileSync(p));
    } catch {
      h.update('<unreadable>');
    }
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * Watches certificate files for rotation. A Kubernetes Secret volume updates by swapping a `..data`
 * symlink inside the mount directory, which replaces no watched inode in place, so the directories are
 * watched (not the files) and every event leads to a content comparison. A periodic poll covers file
 * systems without inotify. Timers and watchers are unref'd: watching never keeps a process alive.
 */
export function watchPemFiles(opts: PemFileWatcherOptions): PemFileWatcher {
  const paths = [...opts.paths];
  let last = opts.initialFingerprint ?? fingerprintFiles(paths);
  let settle: NodeJS.Timeout | null = null;
  let closed = false;
  const check = () => {
    settle = null;
    if (closed) return;
    const now = fingerprintFiles(paths);
    if (now === last) return;
    last = now;
    opts.onChange();
  };
  const soon = () => {
    if (settle || closed) return;
    settle = setTimeout(check, opts.settleMs ?? 100);
    settle.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    try {
      const w = watch(dir, { persistent: false }, soon);
      w.on('error', (err) => opts.onWatchError?.(dir, errorMessage(err)));
      watchers.push(w);
    } catch (err) {
      opts.onWatchError?.(dir, errorMessage(err));
    }
  }
  if (opts.initialFingerprint !== undefined) soon();
  const poll = setInterval(soon, opts.pollIntervalMs ?? 5000);
  poll.unref();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (settle) clearTimeout(settle);
      for (const w of watchers) w.close();
    },
  };
}
