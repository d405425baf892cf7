import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminApiError, fleetAdminClient } from './admin-client.js';

const HASH = 'f'.repeat(32);
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const ID = (i: number): string => `00000000-0000-4000-8000-00000000000${i}`;

// A stand-in for the CP's Admin API (the operator may not import the runtime): `n` rows paged as the
// CP pages them (offset = the last id's base64url), DELETE by id, and the config hash (or 503).
async function controlPlane(n: number, hash: string | null = HASH): Promise<string> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: ID(i),
    ip: '127.0.0.1',
    hostname: `dp-${i}`,
    version: '0.1.0',
    config_hash: HASH,
    sync_status: 'normal',
    status: 'connected',
    last_seen: 1_700_000_000,
    labels: {},
    cert_details: { expiry_timestamp: null },
  }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body?: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(body === undefined ? '' : JSON.stringify(body));
    if (req.method === 'GET' && url.pathname === '/clustering/config-hash') {
      return hash ? send(200, { config_hash: hash, version: 7 }) : send(503, { message: 'not exported yet' });
    }
    if (req.method === 'GET' && url.pathname === '/clustering/data-planes') {
      const size = Number(url.searchParams.get('size') ?? 100);
      const offset = url.searchParams.get('offset');
      const after = offset ? Buffer.from(offset, 'base64url').toString() : '';
      const rest = rows.filter((r) => r.id > after);
      const data = rest.slice(0, size);
      const next =
        rest.length > size
          ? `/clustering/data-planes?offset=${Buffer.from(data.at(-1)!.id).toString('base64url')}&size=${size}`
          : null;
      return send(200, { data, next, offset: null });
    }
    const m = /^\/clustering\/data-planes\/(.+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && m) {
      const i = rows.findIndex((r) => r.id === m[1]);
      if (i < 0) return send(404, { message: 'Not found' });
      rows.splice(i, 1);
      return send(204);
    }
    return send(404, { message: 'Not found' });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// A server answering every request with `status` and `body` (a misbehaving Admin API).
async function rawServer(status: number, body: string): Promise<string> {
  const server = createServer((_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(body),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fleetAdminClient', () => {
  it('follows next over every page', async () => {
    const client = fleetAdminClient(await controlPlane(5), { pageSize: 2 });
    const rows = await client.dataPlanes();
    expect(rows.map((r) => r.hostname)).toEqual(['dp-0', 'dp-1', 'dp-2', 'dp-3', 'dp-4']);
  });

  it('reads the config hash; 503 before the first export is an error naming the URL', async () => {
    expect(await fleetAdminClient(await controlPlane(0)).configHash()).toBe(HASH);
    const early = fleetAdminClient(await controlPlane(0, null));
    await expect(early.configHash()).rejects.toMatchObject({
      code: 'ADMIN_API_ERROR',
      message: expect.stringContaining('/clustering/config-hash: answered 503'),
    });
  });

  it('forgets a row; a row already gone is fine', async () => {
    const base = await controlPlane(2);
    const client = fleetAdminClient(base);
    await client.forget(ID(1));
    expect((await client.dataPlanes()).map((r) => r.hostname)).toEqual(['dp-0']);
    await expect(client.forget(ID(1))).resolves.toBeUndefined();
  });

  it('an unreachable CP is ADMIN_API_UNREACHABLE', async () => {
    const base = await rawServer(200, '{}');
    await new Promise((r) => servers.pop()!.close(r));
    await expect(fleetAdminClient(base).dataPlanes()).rejects.toMatchObject({
      code: 'ADMIN_API_UNREACHABLE',
    });
  });

  it('bodies of the wrong shape are ADMIN_API_BAD_RESPONSE saying what was wrong', async () => {
    await expect(fleetAdminClient(await rawServer(200, 'not json')).dataPlanes()).rejects.toMatchObject({
      code: 'ADMIN_API_BAD_RESPONSE',
    });
    await expect(fleetAdminClient(await rawServer(200, '{"data":{}}')).dataPlanes()).rejects.toThrow(
      /no data array/,
    );
    const badRow = JSON.stringify({ data: [{ id: 1 }], next: null });
    await expect(fleetAdminClient(await rawServer(200, badRow)).dataPlanes()).rejects.toThrow(
      /data\[0\]\.id is not a string/,
    );
    await expect(fleetAdminClient(await rawServer(200, '{"config_hash":"x"}')).configHash()).rejects.toThrow(
      /32 hex digits/,
    );
    const foreignNext = JSON.stringify({ data: [], next: 'http://elsewhere/' });
    const err = await fleetAdminClient(await rawServer(200, foreignNext))
      .dataPlanes()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect((err as Error).message).toMatch(/next is not a \/clustering\/data-planes page/);
  });

  it('a page that points to itself forever is cut', async () => {
    const loop = JSON.stringify({ data: [], next: '/clustering/data-planes?offset=x' });
    await expect(fleetAdminClient(await rawServer(200, loop), { maxPages: 5 }).dataPlanes()).rejects.toThrow(
      /more than 5 pages/,
    );
  });
});
