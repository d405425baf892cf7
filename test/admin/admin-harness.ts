import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, FormData, request } from 'undici';
import { createLogger } from '../../src/shared/logger.js';
import { loadConf } from '../../src/runtime/config/conf/load-conf.js';
import type { Conf } from '../../src/runtime/config/conf/types.js';
import { startControlPlane, type ControlPlane } from '../../src/runtime/control-plane/start-control-plane.js';
import { adminBackend, backendOverrides, releaseBackend } from './admin-backend.js';

/**
 * A real control plane for Admin API tests: conf through the conf loader, the store of the file's
 * backend (LMDB in a temp prefix, or a PostgreSQL schema: admin-backend.ts), Admin API on 127.0.0.1
 * port 0 (plain, and TLS when asked), spoken to over real sockets with undici.
 */

/** One HTTP exchange's outcome. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests inspect bodies field by field
  json: any;
}

/** Options of one request. */
export interface SendOptions {
  json?: unknown;
  form?: string;
  raw?: { body: string | Buffer; contentType?: string };
  /** A multipart/form-data body (`curl -F`). */
  multipart?: Record<string, string>;
  headers?: Record<string, string>;
}

/** A started CP and a client for it. */
export interface Harness {
  cp: ControlPlane;
  conf: Conf;
  prefix: string;
  base: string;
  send(method: string, path: string, opts?: SendOptions): Promise<Reply>;
  /** Stops the CP; `keepPrefix` leaves the store on disk for a restart. */
  stop(keepPrefix?: boolean): Promise<void>;
}

const agent = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 1000 });

/** Sends one request to `base + path`. */
export async function sendTo(
  base: string,
  method: string,
  path: string,
  opts: SendOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | Buffer | FormData | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  } else if (opts.form !== undefined) {
    body = opts.form;
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (opts.multipart) {
    body = new FormData();
    for (const [k, v] of Object.entries(opts.multipart)) body.append(k, v);
  } else if (opts.raw) {
    body = opts.raw.body;
    if (opts.raw.contentType) headers['content-type'] = opts.raw.contentType;
  }
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers,
    dispatcher: agent,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers as Reply['headers'], text, json };
}

/** Starts a CP on a fresh (or given) prefix. */
export async function startHarness(
  opts: { prefix?: string; ssl?: boolean; overrides?: Record<string, string> } = {},
): Promise<Harness> {
  const prefix = opts.prefix ?? mkdtempSync(join(tmpdir(), 'hg-admin-'));
  // The backend's settings win over a test's overrides: a suite that sets pg_password to check its
  // redaction still reaches the test database (and the real password is the one to stay hidden).
  const backend = await backendOverrides(prefix);
  let cp: ControlPlane;
  let conf: Conf;
  try {
    ({ conf } = loadConf({
      env: {},
      overrides: {
        prefix,
        role: 'traditional',
        admin_listen: opts.ssl ? '127.0.0.1:0, 127.0.0.1:0 ssl' : '127.0.0.1:0',
        lmdb_map_size: '64m',
        ...(opts.overrides ?? {}),
        ...backend,
      },
    }));
    const logger = createLogger({ component: 'test', level: 'error' });
    cp = await startControlPlane(conf, logger);
    if (cp.store.backend !== (adminBackend() as string)) {
      await cp.close();
      throw new Error(`harness asked for the ${adminBackend()} store but got ${cp.store.backend}`);
    }
  } catch (err) {
    if (!opts.prefix) {
      await releaseBackend(prefix);
      rmSync(prefix, { recursive: true, force: true });
    }
    throw err;
  }
  const first = cp.admin.addresses[0];
  if (!first) throw new Error('no admin listener');
  const base = `http://127.0.0.1:${first.port}`;
  return {
    cp,
    conf,
    prefix,
    base,
    send: (method, path, sendOpts) => sendTo(base, method, path, sendOpts),
    stop: async (keepPrefix = false) => {
      await cp.close();
      if (!keepPrefix) {
        rmSync(prefix, { recursive: true, force: true });
        await releaseBackend(prefix);
      }
    },
  };
}
