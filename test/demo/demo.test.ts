/**
 * `make demo` as a user runs it: `node hack/demo.mjs` on a free port base, the curl commands its banner
 * prints replayed against the running cluster, then Ctrl-C (SIGINT): it must exit 0 and leave no node
 * process behind.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpRequest, pollUntil } from '../cluster/helpers/http.js';
import { childEnv } from '../cluster/helpers/node-process.js';

/** Processes start in ~1 s each, several under a loaded 2-core machine: above jest's 30 s default. */
const TEST_TIMEOUT_MS = 120_000;

const DEMO = fileURLToPath(new URL('../../hack/demo.mjs', import.meta.url));
/** The offsets from the port base the demo binds (see hack/demo.mjs). */
const OFFSETS = [0, 1, 5, 6, 10, 100, 110, 1000];

const work = mkdtempSync(join(tmpdir(), 'hg-demo-'));
let demo: ChildProcess | null = null;
let nodePids: number[] = [];

afterAll(async () => {
  // Only when the test failed half-way: nothing it started may survive it.
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  for (const pid of nodePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port base whose every demo port is free right now (tried from random bases). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(OFFSETS.map((o) => canBind(base + o)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port base for the demo after 50 attempts');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of `parent`'s children running `hybridgate.js start` (from /proc: Linux). */
function nodeChildren(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('hybridgate.js')) && cmd.includes('start')) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

const url = (u: string) => {
  const parsed = new URL(u);
  return { port: Number(parsed.port), path: parsed.pathname };
};

describe('make demo (hack/demo.mjs)', () => {
  it(
    'runs a CP and two DPs, serves what its banner says, and stops cleanly on Ctrl-C',
    async () => {
      const base = await freePortBase();
      const env: Record<string, string> = {
        HYBRIDGATE_DEMO_PORT_BASE: String(base),
        HYBRIDGATE_DEMO_DIR: join(work, 'demo'),
      };
      if (process.env.HG_TEST_CLI) env.HYBRIDGATE_DEMO_CLI = process.env.HG_TEST_CLI;
      const child = spawn(process.execPath, [DEMO], {
        env: childEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      demo = child;
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('close', (code, signal) => resolve({ code, signal })),
      );

      await pollUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`demo exited ${child.exitCode}: ${stderr}`);
          return stdout.includes('Press Ctrl-C to stop.');
        },
        'the demo banner',
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      expect(stdout).toContain(
        'Hybridgate demo is running: one control plane, two data planes, one echo upstream.',
      );
      nodePids = nodeChildren(child.pid!);
      expect(nodePids).toHaveLength(3);

      // The banner's commands, replayed.
      const withKey = [
        ...stdout.matchAll(/curl -i (http:\/\/127\.0\.0\.1:\d+\/echo) -H 'apikey: demo-key'/g),
      ];
      expect(withKey).toHaveLength(1);
      const dp1Echo = url(withKey[0]![1]!);
      expect(dp1Echo.port).toBe(base);
      const echo = await httpRequest(dp1Echo.port, 'GET', '/echo', { headers: { apikey: 'demo-key' } });
      expect(echo.status).toBe(200);
      expect(JSON.parse(echo.body)).toMatchObject({ method: 'GET', url: '/' });
      // The sample config's global correlation-id plugin echoes its header downstream.
      expect(echo.headers['kong-request-id']).toMatch(/\S+/);

      const open = url(/curl -i (http:\/\/127\.0\.0\.1:\d+\/open)/.exec(stdout)![1]!);
      expect(open.port).toBe(base + 10);
      expect((await httpRequest(open.port, 'GET', open.path)).status).toBe(200);
      const noKey = url(/curl -i (http:\/\/127\.0\.0\.1:\d+\/echo) +# 401/.exec(stdout)![1]!);
      expect((await httpRequest(noKey.port, 'GET', noKey.path)).status).toBe(401);

      const dataPlanes = url(
        /curl -s (http:\/\/127\.0\.0\.1:\d+\/clustering\/data-planes)/.exec(stdout)![1]!,
      );
      const rows = JSON.parse((await httpRequest(dataPlanes.port, 'GET', dataPlanes.path)).body) as {
        data: { sync_status: string; status: string; config_hash: string }[];
      };
      expect(rows.data.map((r) => [r.sync_status, r.status])).toEqual([
        ['normal', 'connected'],
        ['normal', 'connected'],
      ]);

      // "change the configuration on the control plane; both data planes follow"
      const routes = url(
        /curl -s -X POST (http:\/\/127\.0\.0\.1:\d+\/services\/echo\/routes)/.exec(stdout)![1]!,
      );
      const created = await httpRequest(routes.port, 'POST', routes.path, {
        form: 'name=extra&paths[]=/extra',
      });
      expect(created.status).toBe(201);
      const extra = url(/curl -i (http:\/\/127\.0\.0\.1:\d+\/extra) -H 'apikey: demo-key'/.exec(stdout)![1]!);
      await pollUntil(
        async () =>
          (await httpRequest(extra.port, 'GET', extra.path, { headers: { apikey: 'demo-key' } })).status ===
          200,
        'the new route on data plane 2',
      );
      const ready = url(/curl -s (http:\/\/127\.0\.0\.1:\d+\/status\/ready)/.exec(stdout)![1]!);
      expect((await httpRequest(ready.port, 'GET', ready.path)).status).toBe(200);

      child.kill('SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stdout).toContain('==> stopping the demo');
      expect(nodePids.filter(alive)).toEqual([]);
      // Nodes stopped gracefully (not killed): each logged its stop.
      for (const name of ['control-plane', 'data-plane-1', 'data-plane-2']) {
        expect(readFileSync(join(work, 'demo', `${name}.log`), 'utf8')).toContain('"msg":"node stopped"');
      }
    },
    TEST_TIMEOUT_MS,
  );
});
