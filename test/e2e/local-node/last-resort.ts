import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The kinds of things a local node makes that outlive it unless removed; `owners` are directories
 * whose processes (any process whose command line names them: etcd, kube-apiserver...) must die too.
 */
type Kind = 'pids' | 'netns' | 'links' | 'dirs' | 'owners';

const state: Record<Kind, Set<string>> = {
  pids: new Set(),
  netns: new Set(),
  links: new Set(),
  dirs: new Set(),
  owners: new Set(),
};
const stateFile = join(tmpdir(), `hg-e2e-watchdog-${process.pid}.json`);
let watchdog: ChildProcess | undefined;

/**
 * What this process's local nodes made and have not removed yet: owners add and delete entries as
 * they go, so after a clean stop() it is empty. The list is mirrored to a file that a watchdog
 * process reads when this process dies (exit listeners are not enough: jest drops the ones a test
 * file adds, and a SIGKILL runs none), to SIGKILL the pods' processes, delete the namespaces and
 * links, and remove the directories.
 */
export const leftovers = {
  /** Records something to remove if the process dies. */
  add(kind: Kind, value: string | number): void {
    state[kind].add(String(value));
    save();
  },
  /** Forgets something that was removed. */
  delete(kind: Kind, value: string | number): void {
    if (state[kind].delete(String(value))) save();
  },
};

function save(): void {
  ensureWatchdog();
  const json = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, [...v]]));
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(json));
  // rename keeps the watchdog from ever reading half a file
  renameSync(`${stateFile}.tmp`, stateFile);
}

// Runs in the watchdog: waits for stdin to close (its parent died or finished), then cleans up.
const WATCHDOG = `
const fs = require('fs'), cp = require('child_process');
const file = process.argv[1];
process.stdin.resume();
process.stdin.on('close', () => {
  let s = { pids: [], netns: [], links: [], dirs: [], owners: [] };
  try { s = { ...s, ...JSON.parse(fs.readFileSync(file, 'utf8')) }; } catch {}
  if (s.owners.length) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue;
      let cmd = '';
      try { cmd = fs.readFileSync('/proc/' + entry + '/cmdline', 'utf8'); } catch {}
      if (s.owners.some((o) => cmd.includes(o))) try { process.kill(Number(entry), 'SIGKILL'); } catch {}
    }
  }
  for (const pid of s.pids) {
    try {
      if (fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('hybridgate')) process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
  for (const ns of s.netns) try { cp.execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch {}
  for (const l of s.links) try { cp.execFileSync('ip', ['link', 'del', l], { stdio: 'ignore' }); } catch {}
  for (const d of [...s.dirs, ...s.owners]) try { fs.rmSync(d, { recursive: true, force: true }); } catch {}
  try { fs.rmSync(file, { force: true }); } catch {}
  process.exit(0);
});
`;

/** Starts the watchdog once per process; it holds no reference that keeps this process alive. */
function ensureWatchdog(): void {
  if (watchdog) return;
  watchdog = spawn(process.execPath, ['-e', WATCHDOG, stateFile], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
}

/** Removes everything still listed, now (for callers that want it before the process ends). */
export function cleanupLeftovers(): void {
  for (const pid of state.pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of state.netns) quiet(['netns', 'del', ns]);
  for (const link of state.links) quiet(['link', 'del', link]);
  for (const dir of state.dirs) rmSync(dir, { recursive: true, force: true });
  for (const set of Object.values(state)) set.clear();
  save();
}

function quiet(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone
  }
}
