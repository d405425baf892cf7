import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { ServerResponse } from 'node:http';
import { waitFor } from '../cluster/helpers.js';
import { simpleConfig, startProxy, startUpstream } from '../proxy/helpers/harness.js';

/**
 * Bounded buffering: a client that stops reading a large response must not make the data plane hold
 * the response in memory. Backpressure has to reach the upstream: its writes stall after a few socket
 * buffers' worth, far below the response size.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RESPONSE_BYTES = 512 * 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);
// Kernel socket buffers on both legs (client↔proxy, proxy↔upstream) plus stream high-water marks;
// generous, and still 16 times smaller than the response.
const MAX_IN_FLIGHT = 32 * 1024 * 1024;

describe('proxy: bounded buffering', () => {
  it('pauses the upstream when the client does not read (memory stays bounded)', async () => {
    let written = 0;
    let stalled = false;
    const pump = (res: ServerResponse) => {
      while (written < RESPONSE_BYTES && !res.destroyed) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) {
          stalled = true;
          return void res.once('drain', () => {
            stalled = false;
            pump(res);
          });
        }
      }
      res.end();
    };
    const upstream = await startUpstream('big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': RESPONSE_BYTES });
      pump(res);
      return true;
    });
    cleanups.push(() => upstream.close());
    const proxy = await startProxy({ config: simpleConfig(upstream.port) });
    cleanups.push(() => proxy.close());

    const rssBefore = process.memoryUsage().rss;
    const client = connect({ host: '127.0.0.1', port: Number(new URL(proxy.url).port) });
    client.on('error', () => undefined);
    cleanups.push(() => void client.destroy());
    // Never read: the socket stays paused, so the kernel buffer fills and TCP pushes back.
    client.pause();
    client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');

    // Poll until the upstream has been stalled with the same count for a while (no fixed sleep: a
    // condition over successive polls, with a deadline).
    let last = -1;
    let steady = 0;
    await waitFor(
      () => {
        steady = stalled && written === last ? steady + 1 : 0;
        last = written;
        return steady >= 30;
      },
      'the upstream to stall',
      20_000,
    );
    expect(written).toBeLessThan(MAX_IN_FLIGHT);
    expect(written).toBeGreaterThan(0);
    // The test process holds upstream, proxy and client: its RSS grows by far less than the response.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);

    // Reading resumes the flow: backpressure paused the upstream, it did not break the exchange.
    const before = written;
    client.resume();
    await waitFor(() => written > before + MAX_IN_FLIGHT, 'the upstream to resume');
  }, 30_000);
});
