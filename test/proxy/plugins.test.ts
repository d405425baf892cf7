import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { buildPluginIndex } from '../../src/runtime/data-plane/plugins/plugin-index.js';
import { defineHandler, type PluginHandler } from '../../src/runtime/data-plane/plugins/handler.js';
import { createFrameworkPluginRunner } from '../../src/runtime/data-plane/proxy/framework-plugin-runner.js';
import type { DataPlaneConfig } from '../../src/runtime/data-plane/engine/types.js';
import { startProxy, startUpstream, simpleConfig } from './helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const logged: { status: number; route: string | null }[] = [];

// Test handlers exercising each phase through the framework's real runner and plugin index.
const handlers: Record<string, PluginHandler<unknown>> = {
  'test-global': defineHandler({
    name: 'test-global',
    version: '1.0.0',
    priority: 2000,
    phases: {
      rewrite(ctx) {
        if (ctx.header('x-block-early') !== undefined) ctx.exit(418, { message: 'early' });
      },
      log(ctx) {
        logged.push({ status: ctx.response?.status ?? 0, route: ctx.route?.id ?? null });
      },
    },
  }),
  'test-gate': defineHandler({
    name: 'test-gate',
    version: '1.0.0',
    priority: 1000,
    phases: {
      async access(ctx) {
        if (ctx.header('x-deny') !== undefined) return ctx.exit(403, { message: 'denied' });
        ctx.request.headers['x-added'] = 'yes';
        delete ctx.request.headers['x-secret'];
        if (ctx.header('x-rewrite') !== undefined) ctx.upstream.path = '/rewritten';
        if (ctx.header('x-read-body') !== undefined) {
          const body = await ctx.readBody(1024);
          ctx.request.headers['x-body-length'] = String(body?.length ?? -1);
        }
      },
      header_filter(ctx) {
        ctx.response!.headers['x-filtered'] = String(ctx.response!.status);
        if (ctx.header('x-upper') !== undefined) ctx.bufferResponseBody();
      },
      body_filter(ctx) {
        ctx.response!.body = Buffer.from(ctx.response!.body!.toString().toUpperCase());
      },
    },
  }),
};

function configWithPlugins(port: number): DataPlaneConfig {
  return {
    ...simpleConfig(port),
    plugins: [
      { id: 'p1', name: 'test-global', config: {} },
      { id: 'p2', name: 'test-gate', config: {}, route: { id: 'r1' } },
    ],
  };
}

async function setup() {
  const u = await startUpstream('up', (req, res, body) => {
    res.end(
      `path=${req.url} added=${String(req.headers['x-added'])} secret=${String(req.headers['x-secret'])} len=${String(req.headers['x-body-length'])} body=${body}`,
    );
    return true;
  });
  cleanups.push(() => u.close());
  const p = await startProxy({
    config: configWithPlugins(u.port),
    plugins: createFrameworkPluginRunner(pino({ level: 'silent' })),
    buildPlugins: (c) => buildPluginIndex(c as never, Object.keys(handlers), { handlers }),
  });
  cleanups.push(() => p.close());
  return { u, p };
}

describe('plugin phases through the framework runner', () => {
  it('applies access edits upstream and header_filter on the response', async () => {
    const { p } = await setup();
    const r = await p.fetch('/x', { headers: { 'x-secret': 's', 'x-rewrite': '1' } });
    expect(r.status).toBe(200);
    expect(r.text).toBe('path=/rewritten added=yes secret=undefined len=undefined body=');
    expect(r.headers['x-filtered']).toBe('200');
  });

  it('short-circuits in rewrite and access, still running header_filter and log', async () => {
    const { p, u } = await setup();
    logged.length = 0;
    const early = await p.fetch('/x', { headers: { 'x-block-early': '1' } });
    expect(early.status).toBe(418);
    expect(early.json()).toEqual({ message: 'early' });
    const denied = await p.fetch('/x', { headers: { 'x-deny': '1' } });
    expect(denied.status).toBe(403);
    expect(denied.headers['x-filtered']).toBe('403');
    expect(u.seen).toHaveLength(0);
    expect(logged).toEqual([
      { status: 418, route: null },
      { status: 403, route: 'r1' },
    ]);
  });

  it('forwards a body a plugin buffered, and runs body_filter on a buffered response', async () => {
    const { p } = await setup();
    const r = await p.fetch('/x', {
      method: 'POST',
      body: 'payload',
      headers: { 'x-read-body': '1', 'x-upper': '1' },
    });
    expect(r.text).toBe('PATH=/X ADDED=YES SECRET=UNDEFINED LEN=7 BODY=PAYLOAD');
    expect(r.headers['content-length']).toBeUndefined();
  });
});
