import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { startHarness, type Harness } from '../admin/admin-harness.js';
import { waitFor } from '../cluster/helpers.js';

/**
 * The Admin API against slow clients, with the nginx_http_* timeouts set small: a slowloris is cut at
 * client_header_timeout, a stalled body within header + body timeouts, an idle keep-alive connection at
 * keepalive_timeout; a normal client is served in between.
 */

let h: Harness;
const sockets: Socket[] = [];
beforeAll(async () => {
  h = await startHarness({
    overrides: {
      nginx_http_client_header_timeout: '800ms',
      nginx_http_client_body_timeout: '800ms',
      nginx_http_keepalive_timeout: '500ms',
    },
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await h.stop();
});

function raw(): Promise<{ sock: Socket; data: () => string; closed: Promise<number> }> {
  const port = Number(new URL(h.base).port);
  return new Promise((resolve, reject) => {
    let data = '';
    const sock = connect({ host: '127.0.0.1', port });
    sockets.push(sock);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (data += d));
    sock.on('error', () => undefined);
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    sock.once('connect', () => resolve({ sock, data: () => data, closed }));
    sock.once('error', reject);
  });
}

describe('Admin API: slow clients', () => {
  it('cuts a slowloris at client_header_timeout and keeps serving others', async () => {
    const c = await raw();
    const started = Date.now();
    const req = 'GET / HTTP/1.1\r\nHost: admin\r\nX-Slow: ' + 'a'.repeat(100);
    let i = 0;
    const timer = setInterval(() => {
      if (c.sock.destroyed || i >= req.length) return clearInterval(timer);
      c.sock.write(req[i++]!);
    }, 100);
    // Served meanwhile.
    expect((await h.send('GET', '/status')).status).toBe(200);
    const closedAt = await c.closed;
    clearInterval(timer);
    expect(closedAt - started).toBeGreaterThanOrEqual(700);
    expect(closedAt - started).toBeLessThan(4000);
    expect(c.data()).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('cuts a request whose body stalls', async () => {
    const c = await raw();
    const started = Date.now();
    c.sock.write(
      'POST /services HTTP/1.1\r\nHost: admin\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
    );
    const closedAt = await c.closed;
    expect(closedAt - started).toBeGreaterThanOrEqual(1000);
    expect(closedAt - started).toBeLessThan(5000);
    expect((await h.send('GET', '/services')).json).toMatchObject({ data: [] });
  });

  it('closes an idle keep-alive connection after keepalive_timeout', async () => {
    const c = await raw();
    c.sock.write('GET /status HTTP/1.1\r\nHost: admin\r\n\r\n');
    await waitFor(() => /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n\{[\s\S]*\}$/.test(c.data()), 'the response');
    const answeredAt = Date.now();
    const closedAt = await c.closed;
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(400);
    expect(closedAt - answeredAt).toBeLessThan(3000);
  });
});
