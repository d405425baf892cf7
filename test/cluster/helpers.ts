import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/shared/logger.js';
import type { ConfigSnapshot, ConfigSource } from '../../src/runtime/control-plane/sync/config-source.js';
import type { ConfigHashes } from '../../src/runtime/protocol/messages.js';

/** A log line as pino wrote it. */
export type LogLine = { msg: string; level: number; [k: string]: unknown };

/** A logger whose lines tests can wait for. */
export function captureLogger(component: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return {
    lines,
    logger: createLogger({ component, destination, level: process.env.HG_TEST_LOG ? 'debug' : 'info' }),
  };
}

/** Polls `cond` until it is truthy or the deadline passes (no fixed sleeps). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Stand-in hashes (the real ones come from config/hash.ts): md5 per family and over all. */
export function fakeHashes(config: Record<string, unknown>): ConfigHashes {
  const part = (k: string) => (config[k] === undefined ? '0'.repeat(32) : md5(JSON.stringify(config[k])));
  return {
    config: md5(JSON.stringify(config)),
    routes: part('routes'),
    services: part('services'),
    plugins: part('plugins'),
    upstreams: part('upstreams'),
    targets: part('targets'),
  };
}

/** An in-memory ConfigSource whose config tests replace. */
export class MemorySource implements ConfigSource {
  private listeners = new Set<() => void>();
  snapshots = 0;
  constructor(public config: Record<string, unknown>) {}
  async snapshot(): Promise<ConfigSnapshot> {
    this.snapshots++;
    return { config: structuredClone(this.config), hashes: fakeHashes(this.config) };
  }
  onChange(l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(config: Record<string, unknown>) {
    this.config = config;
    for (const l of this.listeners) l();
  }
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
