import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/runtime/protocol/clock.js';
import { encodeJsonFrame } from '../../src/runtime/protocol/messages.js';
import { waitFor } from '../cluster/helpers.js';
import { clusterFixture } from './cluster-fixture.js';
import { closeOf, configOf, legitDataPlane, type TestClusterCp } from './cluster-harness.js';

/**
 * Per-connection rate limits on the frames a DP may send (frame-rate-limit.ts): over the limit the
 * connection is closed with 4007 and logged once, whatever the DP keeps sending; nothing it sends
 * changes the configuration or another DP's row.
 */

const { creds, cleanup, startCp, servedDp } = clusterFixture();
const HASH = 'b'.repeat(32);
const report = encodeJsonFrame({
  type: 'error',
  error: { name: 'flood', message: 'refused', config_hash: HASH },
});

let c: TestClusterCp;

const refusedLines = (id: string) =>
  c.lines.filter((l) => l.node_id === id && l.msg === 'closing data plane connection: protocol error');

describe('cluster frame rate limits', () => {
  it('closes a DP flooding heartbeats with 4007 and logs one line with the count', async () => {
    c = await startCp({ frameLimits: { heartbeat: { burst: 5, perSecond: 0.5 } } });
    const dp = await servedDp(c.port, 'the DP gets its config');
    const end = closeOf(dp.ws);
    for (let i = 0; i < 200; i++) dp.ws.ping(Buffer.from(HASH));
    const result = await end;
    expect(result?.code).toBe(4007);
    expect(result?.reason).toMatch(/heartbeat frames exceed the rate limit/);
    await waitFor(() => refusedLines(dp.id).length > 0, 'the refusal line');
    const [line, ...more] = refusedLines(dp.id);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ close_code: 4007 });
    expect(line!.frames_dropped as number).toBeGreaterThan(0);
    expect(c.lines.filter((l) => l.node_id === dp.id && l.level >= 40)).toHaveLength(1);
    expect(await c.refused('rate_limited')).toBe(1);
  });

  it('closes a DP flooding error reports after its allowance; only that much is logged and recorded', async () => {
    c = await startCp({ frameLimits: { report: { burst: 3, perSecond: 0.5 } } });
    const victim = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.2' });
    cleanup(() => victim.ws.terminate());
    await waitFor(
      () => victim.hashes.length === 1 && c.registry.get(victim.id)?.config_hash === victim.hashes[0],
      'the victim reports its hash',
    );
    const victimRow = structuredClone(c.registry.get(victim.id)!);
    const configBefore = structuredClone(c.source.config);

    const dp = await servedDp(c.port, 'the DP gets its config');
    const end = closeOf(dp.ws);
    for (let i = 0; i < 100; i++) dp.ws.send(report, { binary: true });
    expect((await end)?.code).toBe(4007);
    await waitFor(() => refusedLines(dp.id).length > 0, 'the refusal line');
    expect(refusedLines(dp.id)).toHaveLength(1);
    expect(
      c.lines.filter((l) => l.node_id === dp.id && l.msg === 'data plane rejected the configuration'),
    ).toHaveLength(4);
    // The burst of 3, plus one earned by the one configuration it was sent.
    expect(c.registry.get(dp.id)?.errors).toHaveLength(4);

    // Its own row took the reports; the configuration and the other DP's row did not change.
    expect(c.source.config).toEqual(configBefore);
    expect({ ...c.registry.get(victim.id)!, ttl: 0, last_seen: 0, updated_at: 0 }).toEqual({
      ...victimRow,
      ttl: 0,
      last_seen: 0,
      updated_at: 0,
    });
    c.source.set(configOf(2));
    await waitFor(() => victim.hashes.length === 2, 'the victim still gets pushes');
  });

  it('lets a DP answer every configuration it is sent with a heartbeat, beyond the burst', async () => {
    c = await startCp({ frameLimits: { heartbeat: { burst: 2, perSecond: 0.01 } } });
    const dp = await servedDp(c.port, 'the config');
    // legitDataPlane pings right after every config it gets, as a real DP does after applying.
    for (let n = 2; n <= 12; n++) {
      c.source.set(configOf(n));
      await waitFor(() => dp.hashes.length === n, `config ${n}`);
    }
    await waitFor(() => c.registry.get(dp.id)?.config_hash === dp.hashes[11], 'the last heartbeat');
    expect(dp.ws.readyState).toBe(dp.ws.OPEN);
    expect(refusedLines(dp.id)).toEqual([]);
  });

  it('leaves a DP that stays within its rate alone', async () => {
    // The real clock, shifted by hand: each heartbeat comes a (virtual) second after the previous one.
    let skew = 0;
    const clock = { ...systemClock, now: () => Date.now() + skew };
    c = await startCp({ clock, frameLimits: { heartbeat: { burst: 3, perSecond: 1 } } });
    const dp = await servedDp(c.port, 'the config');
    for (let i = 0; i < 30; i++) {
      skew += 1000;
      const pong = new Promise((r) => dp.ws.once('pong', r));
      dp.ws.ping(Buffer.from(dp.hashes[0]!));
      await pong;
    }
    expect(dp.ws.readyState).toBe(dp.ws.OPEN);
    expect(refusedLines(dp.id)).toEqual([]);
    expect(c.registry.get(dp.id)?.config_hash).toBe(dp.hashes[0]);
    // The same 4 heartbeats without the second between them exceed the burst of 3.
    const end = closeOf(dp.ws);
    for (let i = 0; i < 4; i++) dp.ws.ping(Buffer.from(dp.hashes[0]!));
    expect((await end)?.code).toBe(4007);
  });
});
