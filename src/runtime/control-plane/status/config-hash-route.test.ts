import { afterEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConfigHashRoute, type CurrentExport } from './config-hash-route.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

// Over a real loopback socket (fastify's inject() does not load under jest's ESM mode).
async function get(current: () => Promise<CurrentExport | null>): Promise<{ status: number; body: unknown }> {
  const app = Fastify();
  apps.push(app);
  registerConfigHashRoute(app, { current });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${base}/clustering/config-hash`);
  return { status: res.status, body: await res.json() };
}

describe('GET /clustering/config-hash', () => {
  it('answers the current export hash and version', async () => {
    const hash = '0123456789abcdef'.repeat(2);
    expect(await get(async () => ({ configHash: hash, version: 12 }))).toEqual({
      status: 200,
      body: { config_hash: hash, version: 12 },
    });
  });

  it('answers 503 with a message before the first export', async () => {
    const res = await get(async () => null);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ message: 'the configuration has not been exported yet' });
  });

  it('a failing export is a 500 with a body, not a crash', async () => {
    const res = await get(async () => {
      throw new Error('store closed');
    });
    expect(res.status).toBe(500);
  });
});
