import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../api/meta.js';
import {
  controlPlaneFleetStatus,
  dataPlaneFleetStatus,
  DATAPLANE_NODE_LABEL,
  POD_NODE_LABEL,
  type DataPlaneRow,
  type FleetStatusInput,
} from './fleet-status.js';

const HASH = 'a'.repeat(8) + 'b'.repeat(24);
const OLD = 'c'.repeat(32);
const NOW = Date.parse('2026-01-02T03:04:05Z');

function row(id: string, over: Partial<DataPlaneRow> = {}): DataPlaneRow {
  return {
    id,
    hostname: `pod-${id}`,
    ip: '10.0.0.1',
    version: '1.0.0',
    config_hash: HASH,
    sync_status: 'normal',
    status: 'connected',
    last_seen: 1_700_000_000,
    labels: { [DATAPLANE_NODE_LABEL]: 'edge' },
    cert_details: { expiry_timestamp: 1_800_000_000 },
    ...over,
  };
}

function input(rows: DataPlaneRow[], over: Partial<FleetStatusInput> = {}): FleetStatusInput {
  return {
    dataPlane: 'edge',
    pods: new Set(rows.map((r) => r.labels?.[POD_NODE_LABEL] ?? r.hostname)),
    cp: { reachable: true, rows, configHash: HASH },
    previous: undefined,
    generation: 3,
    now: NOW,
    ...over,
  };
}

const cond = (s: { conditions: Condition[] }, type: string): Condition =>
  s.conditions.find((c) => c.type === type)!;

describe('dataPlaneFleetStatus', () => {
  it('all nodes on the CP hash: Synced True, Compatible True, n/n, hash and its 8-digit prefix', () => {
    const { status, forget } = dataPlaneFleetStatus(input([row('1'), row('2')]));
    expect(forget).toEqual([]);
    expect(status.syncedSummary).toBe('2/2');
    expect(status.configHash).toBe(HASH);
    expect(status.configHashShort).toBe('aaaaaaaa');
    expect(status.counts).toEqual({ connected: 2, synced: 2, incompatible: 0, total: 2 });
    expect(cond(status, 'Synced')).toMatchObject({
      status: 'True',
      reason: 'AllSynced',
      message: "2/2 data planes run the control plane's current config hash",
      observedGeneration: 3,
      lastTransitionTime: '2026-01-02T03:04:05Z',
    });
    expect(cond(status, 'Compatible')).toMatchObject({ status: 'True', reason: 'AllCompatible' });
    expect(status.nodes[0]).toEqual({
      nodeId: '1',
      podName: 'pod-1',
      hostname: 'pod-1',
      ip: '10.0.0.1',
      version: '1.0.0',
      configHash: HASH,
      syncStatus: 'normal',
      connected: true,
      certificateExpiry: '2027-01-15T08:00:00Z',
    });
  });

  it('a node on an old hash: Synced False naming it, summary 1/2', () => {
    const { status } = dataPlaneFleetStatus(input([row('1'), row('2', { config_hash: OLD })]));
    expect(status.syncedSummary).toBe('1/2');
    const synced = cond(status, 'Synced');
    expect(synced).toMatchObject({ status: 'False', reason: 'OutOfSync' });
    expect(synced.message).toContain("1/2 data planes run the control plane's current config hash");
    expect(synced.message).toContain('pod-2');
    expect(cond(status, 'Compatible').status).toBe('True');
  });

  it('a disconnected node on the right hash is not synced, and shows when it was last seen', () => {
    const { status } = dataPlaneFleetStatus(input([row('1', { status: 'disconnected' })]));
    expect(status.counts).toEqual({ connected: 0, synced: 0, incompatible: 0, total: 1 });
    expect(cond(status, 'Synced').status).toBe('False');
    expect(status.nodes[0]!.lastSeen).toBe('2023-11-14T22:13:20Z');
  });

  it('incompatible nodes: Compatible False with every kind in the reason and the nodes in the message', () => {
    const { status } = dataPlaneFleetStatus(
      input([
        row('1'),
        row('2', { sync_status: 'plugin_set_incompatible', config_hash: OLD }),
        row('3', { sync_status: 'kong_version_incompatible', config_hash: OLD }),
      ]),
    );
    expect(status.counts.incompatible).toBe(2);
    const c = cond(status, 'Compatible');
    expect(c.status).toBe('False');
    expect(c.reason).toBe('KongVersionIncompatible,PluginSetIncompatible');
    expect(c.message).toContain('pod-2 (plugin_set_incompatible)');
    expect(c.message).toContain('pod-3 (kong_version_incompatible)');
    expect(c.message).toContain('2/3');
    expect(cond(status, 'Synced').status).toBe('False');
  });

  it('no node: both conditions Unknown, 0/0', () => {
    const { status } = dataPlaneFleetStatus(input([]));
    expect(status.syncedSummary).toBe('0/0');
    expect(cond(status, 'Synced')).toMatchObject({ status: 'Unknown', reason: 'NoDataPlanes' });
    expect(cond(status, 'Compatible')).toMatchObject({ status: 'Unknown', reason: 'NoDataPlanes' });
  });

  it('rows of other DataPlanes or without the label are not this group', () => {
    const other = row('9', { labels: { [DATAPLANE_NODE_LABEL]: 'other' } });
    const unlabelled = row('8', { labels: {} });
    const { status, forget } = dataPlaneFleetStatus(
      input([row('1'), other, unlabelled], { pods: new Set(['pod-1']) }),
    );
    expect(status.nodes.map((n) => n.nodeId)).toEqual(['1']);
    expect(forget).toEqual([]);
  });

  it('rows whose pod is gone leave the status; disconnected ones are to be forgotten on the CP', () => {
    const rows = [row('1'), row('2', { status: 'disconnected' }), row('3')];
    const { status, forget } = dataPlaneFleetStatus(input(rows, { pods: new Set(['pod-1']) }));
    expect(status.nodes.map((n) => n.nodeId)).toEqual(['1']);
    expect(status.syncedSummary).toBe('1/1');
    // Node 3 is still connected: a delete would be undone by its next ping.
    expect(forget).toEqual(['2']);
  });

  it('the pod label wins over the hostname (hostNetwork pods report the node name)', () => {
    const r = row('1', {
      hostname: 'node-a',
      labels: { [DATAPLANE_NODE_LABEL]: 'edge', [POD_NODE_LABEL]: 'edge-x' },
    });
    const { status } = dataPlaneFleetStatus(input([r], { pods: new Set(['edge-x']) }));
    expect(status.nodes[0]).toMatchObject({ podName: 'edge-x', hostname: 'node-a' });
  });

  it('keeps lastTransitionTime when a condition keeps its status, so a steady poll changes nothing', () => {
    const first = dataPlaneFleetStatus(input([row('1')])).status;
    const later = dataPlaneFleetStatus(
      input([row('1', { last_seen: 1_700_000_999 })], { previous: first, now: NOW + 60_000 }),
    ).status;
    expect(later).toEqual(first);
  });

  it('an unreachable CP: conditions Unknown with the reason, never False; last nodes kept', () => {
    const before = dataPlaneFleetStatus(input([row('1', { config_hash: OLD })])).status;
    const { status, forget } = dataPlaneFleetStatus(
      input([], {
        cp: { reachable: false, error: 'connect ECONNREFUSED' },
        previous: before,
        now: NOW + 1000,
      }),
    );
    expect(forget).toEqual([]);
    for (const type of ['Synced', 'Compatible']) {
      const c = cond(status, type);
      expect(c).toMatchObject({ status: 'Unknown', reason: 'ControlPlaneUnreachable' });
      expect(c.message).toContain('ECONNREFUSED');
    }
    expect(status.nodes).toEqual(before.nodes);
    expect(status.syncedSummary).toBe('0/1');
    expect(status.configHash).toBe(HASH);
  });

  it('an unreachable CP with no previous status writes empty parts', () => {
    const { status } = dataPlaneFleetStatus(input([], { cp: { reachable: false, error: 'timeout' } }));
    expect(status.nodes).toEqual([]);
    expect(status.configHash).toBeUndefined();
    expect(cond(status, 'Synced').status).toBe('Unknown');
  });
});

describe('controlPlaneFleetStatus', () => {
  it('reachable: the hash and the connected count', () => {
    const rows = [row('1'), row('2', { status: 'disconnected' })];
    expect(controlPlaneFleetStatus({ reachable: true, rows, configHash: HASH }, undefined)).toEqual({
      configHash: HASH,
      dataPlanes: 1,
    });
  });

  it('unreachable: the previous values are kept (an apply without them would remove them)', () => {
    expect(
      controlPlaneFleetStatus({ reachable: false, error: 'x' }, { configHash: OLD, dataPlanes: 4 }),
    ).toEqual({ configHash: OLD, dataPlanes: 4 });
    expect(controlPlaneFleetStatus({ reachable: false, error: 'x' }, undefined)).toEqual({});
  });
});
