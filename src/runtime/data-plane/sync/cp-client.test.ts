import { afterEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { Writable } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../../shared/logger.js';
import { generateSharedClusterCertificate } from '../../pki/shared-cluster-cert.js';
import { createManualClock, systemClock, type Clock } from '../../protocol/clock.js';
import { EMPTY_CONFIG_HASH } from '../../protocol/constants.js';
import { createSharedTlsPolicy } from '../../protocol/tls-policy.js';
import { createCpClient, type CpClient } from './cp-client.js';

// Several cluster_control_plane addresses: real TLS WebSocket servers standing in for CPs (shared-mode
// certificate), and plain TCP servers that drop every connection standing in for CPs that are down.

const pair = generateSharedClusterCertificate();
const policy = createSharedTlsPolicy(pair.certPem, pair.keyPem);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A CP stand-in: accepts the upgrade and records each DP's first frame (basic_info). */
async function fakeCp() {
  const server: HttpsServer = createHttpsServer(policy.serverOptions());
  const wss = new WebSocketServer({ server });
  const basicInfos: unknown[] = [];
  wss.on('connection', (ws) => ws.once('message', (data) => basicInfos.push(JSON.parse(String(data)))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  cleanups.push(close);
  return { port, basicInfos, connections: () => wss.clients.size, close };
}

/** A CP whose first frame is over the DP's cluster_max_payload (4 MiB here), as a larger CP limit allows. */
async function oversizedCp() {
  const server: HttpsServer = createHttpsServer(policy.serverOptions());
  const wss = new WebSocketServer({ server });
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    ws.once('message', () => ws.send(Buffer.alloc(4 * 1024 * 1024 + 16), { binary: true }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A CP that is down: every TCP connection is dropped at once (counted). */
async function downCp() {
  let attempts = 0;
  const server: NetServer = createNetServer((sock) => {
    attempts++;
    sock.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, attempts: () => attempts };
}

function client(ports: number[], o: { clock?: Clock; baseMs?: number; capMs?: number } = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const c: CpClient = createCpClient({
    endpoints: ports.map((port) => ({ host: '127.0.0.1', port })),
    tls: policy,
    nodeId: '00000000-0000-4000-8000-0000000000aa',
    hostname: 'dp-test',
    version: '0.1.0',
    basicInfo: () => ({ type: 'basic_info', plugins: [], labels: {}, process_conf: {} }),
    maxPayload: 4 * 1024 * 1024,
    pingIntervalMs: 30_000,
    reconnectBaseMs: o.baseMs ?? 10,
    reconnectCapMs: o.capMs ?? o.baseMs ?? 10,
    clock: o.clock ?? systemClock,
    logger: createLogger({ component: 'test', level: 'info', destination: sink }),
    currentHash: () => EMPTY_CONFIG_HASH,
    onFrame: () => undefined,
    random: () => 0.5,
  });
  cleanups.push(() => c.stop());
  return { c, lines };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cp client with several control plane addresses', () => {
  it('skips an address that is down and connects to the next one at once, without a backoff', async () => {
    const down = await downCp();
    const cp = await fakeCp();
    // A backoff of a minute would fail the test: only an immediate move to the next address passes.
    const { c, lines } = client([down.port, cp.port], { baseMs: 60_000 });
    c.start();
    await until(() => cp.basicInfos.length === 1, 'basic_info on the second address');
    expect(down.attempts()).toBe(1);
    expect(c.state).toBe('connected');
    expect(lines.find((l) => l.msg === 'connected to control plane')?.control_plane).toBe(
      `127.0.0.1:${cp.port}`,
    );
  });

  it('moves to the next control plane when the one it is on goes away', async () => {
    const a = await fakeCp();
    const b = await fakeCp();
    const { c, lines } = client([a.port, b.port]);
    c.start();
    await until(() => a.basicInfos.length === 1, 'connected to A');
    await a.close();
    await until(() => b.basicInfos.length === 1, 'reconnected to B');
    const lost = lines.find((l) => l.msg === 'lost connection to control plane, reconnecting');
    expect(lost).toMatchObject({ control_plane: `127.0.0.1:${a.port}`, next: `127.0.0.1:${b.port}` });
    expect(lines.find((l) => l.msg === 'reconnected to control plane')?.control_plane).toBe(
      `127.0.0.1:${b.port}`,
    );
  });

  it('backs off only after every address failed in a row, then starts again from the next one', async () => {
    const x = await downCp();
    const y = await downCp();
    const clock = createManualClock(Date.now());
    const { c } = client([x.port, y.port], { clock, baseMs: 1000 });
    c.start();
    await until(() => x.attempts() === 1 && c.state === 'disconnected', 'x refused');
    clock.advance(0);
    await until(() => y.attempts() === 1 && c.state === 'disconnected', 'y refused');
    // Both down: the retry waits for the backoff (50 + 0.5 × 950 ms with the fixed jitter), not a
    // zero-delay timer. connect() marks the link `connecting` synchronously, so state tells.
    clock.advance(524);
    expect(c.state).toBe('disconnected');
    clock.advance(1);
    expect(c.state).toBe('connecting');
    await until(() => x.attempts() === 2, 'x tried again after the backoff');
    expect(y.attempts()).toBe(1);
  });

  it('backs off, naming cluster_max_payload once, when every config frame of a CP is too big for it', async () => {
    const cp = await oversizedCp();
    const clock = createManualClock(Date.now());
    const { c, lines } = client([cp.port], { clock, baseMs: 1000, capMs: 8000 });
    c.start();
    await until(() => cp.connections() === 1 && c.state === 'disconnected', 'first frame refused');
    // The link opened but never got a frame it could take, so the backoff grows: 50 + 0.5 × 950 ms,
    // then 50 + 0.5 × 1950 ms (a reset on open would retry every 525 ms forever).
    clock.advance(525);
    await until(() => cp.connections() === 2 && c.state === 'disconnected', 'second frame refused');
    clock.advance(525);
    expect(c.state).toBe('disconnected');
    clock.advance(500);
    expect(c.state).toBe('connecting');
    await until(() => cp.connections() === 3 && c.state === 'disconnected', 'third frame refused');
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.reason)).toContain('exceeded cluster_max_payload (4194304 bytes)');
  });

  it('refuses an empty address list', () => {
    expect(() => client([])).toThrow(/at least one control plane endpoint/);
  });
});
