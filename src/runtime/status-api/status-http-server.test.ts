import { afterEach, describe, expect, it } from '@jest/globals';
import { request, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.js';
import { parseListenEntry } from '../config/conf/listen-parser.js';
import type { ListenAddress } from '../config/conf/types.js';
import { READY, type StatusAnswer } from './status-answers.js';
import { startStatusHttpServer, type StatusHttpServer } from './status-http-server.js';

const started: StatusHttpServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const listen = (port = 0): ListenAddress => parseListenEntry(`127.0.0.1:${port}`, () => undefined);

function logCapture() {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      cb();
    },
  });
  return { lines, logger: createLogger({ component: 'test', destination, level: 'debug' }) };
}

function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(handle: (path: string, url: URL) => Promise<StatusAnswer>, addrs = [listen()]) {
  const log = logCapture();
  const s = await startStatusHttpServer({ listen: addrs, logger: log.logger, handle });
  started.push(s);
  return { s, port: s.addresses[0]!.port, lines: log.lines };
}

describe('status API shell', () => {
  it('passes the normalised path and writes JSON and text answers', async () => {
    const seen: string[] = [];
    const { port } = await start(async (path, url) => {
      seen.push(`${path}?${url.searchParams.get('q') ?? ''}`);
      return path === '/metrics' ? { status: 200, text: 'x 1\n', contentType: 'text/plain' } : READY;
    });
    expect(await get(port, '/status/ready/?q=1')).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      body: '{"message":"ready"}',
    });
    expect(await get(port, '/metrics')).toMatchObject({ status: 200, type: 'text/plain', body: 'x 1\n' });
    expect(seen).toEqual(['/status/ready?1', '/metrics?']);
  });

  it('refuses anything but GET and HEAD without calling the route', async () => {
    let calls = 0;
    const { port } = await start(async () => (calls++, READY));
    expect((await get(port, '/status', 'POST')).status).toBe(405);
    expect((await get(port, '/status', 'HEAD')).status).toBe(200);
    expect(calls).toBe(1);
  });

  it('answers 500 and logs when a route throws, and keeps serving', async () => {
    let fail = true;
    const { port, lines } = await start(async () => {
      if (fail) throw new Error('store exploded');
      return READY;
    });
    const r = await get(port, '/status');
    expect([r.status, JSON.parse(r.body)]).toEqual([500, { message: 'An unexpected error occurred' }]);
    expect(lines.find((l) => l.msg === 'status request failed')).toMatchObject({ err: 'store exploded' });
    fail = false;
    expect((await get(port, '/status')).status).toBe(200);
  });

  it('closes the listeners already bound when a later address is taken', async () => {
    const { port: taken } = await start(async () => READY);
    const bound: Server[] = [];
    await expect(
      startStatusHttpServer({
        listen: [listen(), listen(taken)],
        logger: logCapture().logger,
        handle: async () => READY,
        onServer: (s) => bound.push(s),
      }),
    ).rejects.toThrow(/EADDRINUSE/);
    // onServer runs only for servers that bound; none may have been left listening.
    expect(bound.map((s) => s.listening)).toEqual([false]);
  });
});
