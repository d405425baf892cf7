import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { opensslCert } from './helpers/openssl-cert.js';
import { startProxy, startUpstream, simpleConfig, type TestProxy } from './helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function proxy(opts: Parameters<typeof startProxy>[0]): Promise<TestProxy> {
  const p = await startProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

/** The CN of the certificate the server presents for `servername`. */
function servedCn(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve(Array.isArray(cn) ? cn[0]! : (cn ?? ''));
    });
    s.on('error', reject);
  });
}

describe('TLS termination by SNI', () => {
  it('serves the certificate of the SNI entity, wildcard included, and the default otherwise', async () => {
    const a = opensslCert('a.test');
    const wild = opensslCert('*.wild.test');
    const def = opensslCert('default.local');
    const u = await startUpstream();
    cleanups.push(() => u.close());
    const p = await proxy({
      defaultCertificate: def,
      config: {
        ...simpleConfig(u.port),
        certificates: [
          { id: 'c1', cert: a.cert, key: a.key },
          { id: 'c2', cert: wild.cert, key: wild.key },
        ],
        snis: [
          { id: 'n1', name: 'a.test', certificate: { id: 'c1' } },
          { id: 'n2', name: '*.wild.test', certificate: { id: 'c2' } },
        ],
      },
    });
    const port = p.httpsPort!;
    expect(await servedCn(port, 'a.test')).toBe('a.test');
    expect(await servedCn(port, 'x.wild.test')).toBe('*.wild.test');
    expect(await servedCn(port, 'unknown.test')).toBe('default.local');
    expect(await servedCn(port, undefined)).toBe('default.local');

    // A request over TLS is proxied with X-Forwarded-Proto https, and routes can require the SNI.
    await p.engine.apply({
      ...p.engine.current()!.config,
      routes: [{ id: 'r1', paths: ['/'], snis: ['a.test'], protocols: ['https'], service: { id: 's1' } }],
    });
    const status = await new Promise<number>((resolve, reject) => {
      const rq = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/tls',
          servername: 'a.test',
          ca: a.cert,
          headers: { host: 'a.test' },
          checkServerIdentity: () => undefined,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      rq.on('error', reject);
      rq.end();
    });
    expect(status).toBe(200);
    expect(u.seen.at(-1)!.headers['x-forwarded-proto']).toBe('https');
  });
});

describe('WebSocket passthrough', () => {
  it('upgrades through the proxy and relays messages both ways', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer });
    const seenHeaders: http.IncomingHttpHeaders[] = [];
    wss.on('connection', (ws, req) => {
      seenHeaders.push(req.headers);
      ws.on('message', (m) => ws.send(`echo:${String(m)}:${req.url}`));
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close();
          httpServer.close(() => r());
        }),
    );
    const port = (httpServer.address() as AddressInfo).port;
    const p = await proxy({ config: simpleConfig(port, { paths: ['/ws'], strip_path: true }) });
    const ws = new WebSocket(`${p.url.replace('http', 'ws')}/ws/chat`);
    cleanups.push(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const replies: string[] = [];
    const got = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        replies.push(String(m));
        if (replies.length === 2) resolve();
      }),
    );
    ws.send('one');
    ws.send('two');
    await got;
    expect(replies).toEqual(['echo:one:/chat', 'echo:two:/chat']);
    expect(seenHeaders[0]!['x-forwarded-for']).toBe('127.0.0.1');
    expect(seenHeaders[0]!['x-forwarded-prefix']).toBe('/ws');
  });

  it('upgrades over TLS (wss) on the ssl listener', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer });
    wss.on('connection', (ws, req) =>
      ws.on('message', (m) => ws.send(`tls:${String(m)}:${String(req.headers['x-forwarded-proto'])}`)),
    );
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close();
          httpServer.close(() => r());
        }),
    );
    const port = (httpServer.address() as AddressInfo).port;
    const p = await proxy({ config: simpleConfig(port), defaultCertificate: opensslCert('proxy.local') });
    const ws = new WebSocket(`wss://127.0.0.1:${p.httpsPort!}/`, { rejectUnauthorized: false });
    cleanups.push(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    ws.send('hi');
    expect(await reply).toBe('tls:hi:https');
  });

  it('answers an upgrade with no matching route with Kong’s 404', async () => {
    const p = await proxy({ config: simpleConfig(1, { paths: ['/only'] }) });
    const ws = new WebSocket(`${p.url.replace('http', 'ws')}/elsewhere`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(404);
  });
});
