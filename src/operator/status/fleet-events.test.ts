import { describe, expect, it } from '@jest/globals';
import { fleetEvents, type FleetEventThresholds, type NodeMemory } from './fleet-events.js';
import type { NodeStatus } from './fleet-status.js';

const CP = 'a'.repeat(32);
const OLD = 'b'.repeat(32);
const DAY = 86_400_000;
const thresholds: FleetEventThresholds = { outOfSyncAfterMs: 60_000, certificateExpiryWarningMs: 14 * DAY };

const node = (over: Partial<NodeStatus> = {}): NodeStatus => ({
  nodeId: 'n1',
  podName: 'edge-a',
  hostname: 'edge-a',
  ip: '10.0.0.1',
  version: '0.1.0',
  configHash: CP,
  syncStatus: 'normal',
  connected: true,
  ...over,
});

// Runs polls in order, each with its node list and time, and returns the reasons of each poll.
function run(polls: { nodes: NodeStatus[]; at: number; cpHash?: string | null }[]): string[][] {
  let memory: Map<string, NodeMemory> = new Map();
  return polls.map((p) => {
    const r = fleetEvents(memory, {
      nodes: p.nodes,
      cpHash: p.cpHash === null ? undefined : (p.cpHash ?? CP),
      now: p.at,
      thresholds,
    });
    memory = r.memory;
    return r.events.map((e) => `${e.type} ${e.reason}`);
  });
}

describe('fleetEvents', () => {
  it('a node turning incompatible warns once, and again only after it recovered and turned again', () => {
    const bad = node({ syncStatus: 'plugin_set_incompatible', configHash: OLD });
    const reasons = run([
      { nodes: [node()], at: 0 },
      { nodes: [bad], at: 1000 },
      { nodes: [bad], at: 2000 },
      { nodes: [node()], at: 3000 },
      { nodes: [bad], at: 4000 },
    ]);
    expect(reasons).toEqual([
      [],
      ['Warning DataPlaneIncompatible'],
      [],
      [],
      ['Warning DataPlaneIncompatible'],
    ]);
  });

  it('the message names the node and the reason', () => {
    const r = fleetEvents(new Map(), {
      nodes: [node({ syncStatus: 'kong_version_incompatible', configHash: OLD })],
      cpHash: CP,
      now: 0,
      thresholds,
    });
    expect(r.events[0]!.message).toMatch(/node edge-a is incompatible .*kong_version_incompatible/);
  });

  it('out of sync past the threshold warns once per episode, then Synced when it is back', () => {
    const stale = node({ configHash: OLD });
    const reasons = run([
      { nodes: [stale], at: 0 },
      { nodes: [stale], at: 59_999 },
      { nodes: [stale], at: 60_000 },
      { nodes: [stale], at: 120_000 },
      { nodes: [node()], at: 121_000 },
      { nodes: [node()], at: 122_000 },
      // A short episode (under the threshold) says nothing at all.
      { nodes: [stale], at: 130_000 },
      { nodes: [node()], at: 140_000 },
    ]);
    expect(reasons).toEqual([
      [],
      [],
      ['Warning DataPlaneOutOfSync'],
      [],
      ['Normal DataPlaneSynced'],
      [],
      [],
      [],
    ]);
  });

  it('a disconnected node and an unreachable CP decide nothing and keep the episode', () => {
    const stale = node({ configHash: OLD });
    const reasons = run([
      { nodes: [stale], at: 0 },
      { nodes: [{ ...stale, connected: false }], at: 30_000 },
      { nodes: [stale], at: 50_000, cpHash: null },
      { nodes: [stale], at: 61_000 },
    ]);
    expect(reasons).toEqual([[], [], [], ['Warning DataPlaneOutOfSync']]);
  });

  it('a certificate inside the threshold warns once; a renewed one that nears expiry warns again', () => {
    const expiring = (at: number) => node({ certificateExpiry: new Date(at).toISOString() });
    const reasons = run([
      { nodes: [expiring(20 * DAY)], at: 0 },
      { nodes: [expiring(20 * DAY)], at: 7 * DAY },
      { nodes: [expiring(20 * DAY)], at: 8 * DAY },
      { nodes: [expiring(40 * DAY)], at: 9 * DAY },
      { nodes: [expiring(40 * DAY)], at: 27 * DAY },
    ]);
    expect(reasons).toEqual([
      [],
      ['Warning CertificateExpiringSoon'],
      [],
      [],
      ['Warning CertificateExpiringSoon'],
    ]);
  });

  it('says when a certificate already expired', () => {
    const r = fleetEvents(new Map(), {
      nodes: [node({ certificateExpiry: new Date(1000).toISOString() })],
      cpHash: CP,
      now: 5000,
      thresholds,
    });
    expect(r.events[0]!.message).toMatch(/edge-a's cluster certificate expired at 1970-01-01T00:00:01/);
  });

  it('forgets nodes that are no longer listed', () => {
    const r = fleetEvents(new Map([['gone', { incompatible: true, outOfSyncReported: true }]]), {
      nodes: [node()],
      cpHash: CP,
      now: 0,
      thresholds,
    });
    expect([...r.memory.keys()]).toEqual(['n1']);
  });
});
