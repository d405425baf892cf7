import { describe, expect, it } from '@jest/globals';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { STALE_HANDSHAKE_MS } from '../../src/runtime/control-plane/sync/connection-guard.js';
import { waitFor } from '../cluster/helpers.js';
import { clusterFixture } from './cluster-fixture.js';
import { closeOf, configOf, idleSocket, legitDataPlane } from './cluster-harness.js';

/**
 * The cluster port's limits before TLS (connection-guard.ts): connections per source address,
 * handshakes in flight, and the handshake deadline. Flood sockets come from 127.0.0.1, the
 * legitimate DP from 127.0.0.2 (another source address on Linux loopback).
 */

const { creds, cleanup, startCp: cp, servedDp: served } = clusterFixture();

/** A DP from `localAddress` that got its first config; terminated after the test. */
const servedDp = (port: number, localAddress: string, what: string) => served(port, what, localAddress);

async function floodSockets(port: number, n: number, from = '127.0.0.1') {
  const socks = await Promise.all(Array.from({ length: n }, () => idleSocket(port, from)));
  cleanup(() => socks.forEach((s) => s.sock.destroy()));
  return socks;
}

describe('cluster port connection limits', () => {
  it('destroys connections from one address beyond the per-address limit, unread, while a DP from another connects', async () => {
    const c = await cp({ limits: { maxPerIp: 5, maxHandshakesInFlight: 0, handshakeTimeoutMs: 60_000 } });
    const held = await floodSockets(c.port, 5);
    const over = await floodSockets(c.port, 10);
    // Each one over the limit is closed by the CP without a byte of TLS sent back.
    await Promise.all(over.map((s) => s.closed));
    expect(over.map((s) => s.received())).toEqual(Array(10).fill(0));
    expect(await c.refused('per_ip_limit')).toBe(10);
    expect(held.every((s) => !s.sock.destroyed)).toBe(true);

    const dp = await servedDp(c.port, '127.0.0.2', 'the legit DP gets its config');
    c.source.set(configOf(2));
    await waitFor(() => dp.hashes.length === 2, 'the legit DP gets the change');
    expect(c.registry.get(dp.id)?.status).toBe('connected');

    // A slot freed on 127.0.0.1 is usable again, by a DP from there.
    held[0]!.sock.destroy();
    await held[0]!.closed;
    const local = (await waitFor(
      () => legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.1' }).catch(() => null),
      'a DP from 127.0.0.1 once a slot is free',
    ))!;
    cleanup(() => local.ws.terminate());
    await waitFor(() => local.hashes.length === 1, 'the DP from 127.0.0.1 gets its config');
  });

  it('drops new sockets while the handshakes in flight are at the limit, and cuts stalled handshakes at the deadline', async () => {
    const c = await cp({ limits: { maxPerIp: 0, maxHandshakesInFlight: 3, handshakeTimeoutMs: 800 } });
    const stalled = await floodSockets(c.port, 3);
    const started = Date.now();
    const dropped = await floodSockets(c.port, 4, '127.0.0.3');
    await Promise.all(dropped.map((s) => s.closed));
    // Dropped at once, not after queueing behind the stalled handshakes.
    expect(Date.now() - started).toBeLessThan(700);
    expect(await c.refused('handshakes_in_flight')).toBe(4);

    // The deadline frees the slots; a DP then gets through.
    await Promise.all(stalled.map((s) => s.closed));
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(await c.refused('handshake_timeout')).toBe(3);
    await servedDp(c.port, '127.0.0.2', 'the DP gets its config');
  });

  it('gives a newcomer the slot of a handshake pending for over STALE_HANDSHAKE_MS', async () => {
    const c = await cp({ limits: { maxPerIp: 0, maxHandshakesInFlight: 3, handshakeTimeoutMs: 60_000 } });
    const stalled = await floodSockets(c.port, 3);
    const opened = Date.now();
    await waitFor(() => Date.now() - opened > STALE_HANDSHAKE_MS, 'the stalled handshakes to turn stale');
    await servedDp(c.port, '127.0.0.2', 'the DP gets its config');
    // The oldest stalled socket made room; the others still wait for their deadline.
    await stalled[0]!.closed;
    expect(stalled.slice(1).every((s) => !s.sock.destroyed)).toBe(true);
    expect(await c.refused('handshakes_in_flight')).toBe(1);
  });

  it('cuts a handshake that drips bytes at the deadline (a hard deadline, not an idle timer)', async () => {
    const c = await cp({ limits: { handshakeTimeoutMs: 600 } });
    // A DP connected before: its finished handshake must not be cut at the deadline.
    const dp = await servedDp(c.port, '127.0.0.2', 'the DP gets its config');
    const [drip] = await floodSockets(c.port, 1);
    // A partial TLS record header, then one byte every 100 ms: never idle, never complete.
    drip!.sock.write(Buffer.from([0x16, 0x03, 0x01]));
    const timer = setInterval(() => drip!.sock.writable && drip!.sock.write(Buffer.from([0x00])), 100);
    cleanup(() => clearInterval(timer));
    const started = Date.now();
    await drip!.closed;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await c.refused('handshake_timeout')).toBe(1);
    expect(dp.ws.readyState).toBe(dp.ws.OPEN);
  });

  it('keeps serving a DP through a flood of idle sockets and certificate-less handshakes', async () => {
    const c = await cp({ limits: { maxPerIp: 20, maxHandshakesInFlight: 30, handshakeTimeoutMs: 2000 } });
    const dp = await servedDp(c.port, '127.0.0.2', 'the DP gets its config');
    const idle = await floodSockets(c.port, 60);
    // Handshakes without a client certificate complete TLS but are refused by the verification.
    const noCert = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const raw = netConnect({ host: '127.0.0.1', port: c.port, localAddress: '127.0.0.4' });
            raw.on('error', () => undefined);
            const s = tlsConnect({ socket: raw, rejectUnauthorized: false });
            s.on('error', () => undefined);
            s.once('close', () => resolve());
          }),
      ),
    );
    expect(noCert).toHaveLength(20);
    expect(idle).toHaveLength(60);
    await waitFor(async () => (await c.refused('per_ip_limit')) === 40, '40 of 60 idle sockets refused');
    c.source.set(configOf(3));
    await waitFor(() => dp.hashes.length === 2, 'the DP gets the change during the flood');
    // A new DP still gets in while 20 idle sockets hold handshake slots.
    await servedDp(c.port, '127.0.0.5', 'a DP connecting during the flood gets its config');
    expect(dp.ws.readyState).toBe(dp.ws.OPEN);
    dp.ws.close(1000, 'done');
    expect((await closeOf(dp.ws))?.code).toBe(1000);
  });
});
