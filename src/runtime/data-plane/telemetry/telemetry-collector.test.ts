import { describe, it, expect } from '@jest/globals';
import { ProtocolError } from '../../protocol/errors.js';
import { MAX_SERIES_PER_BATCH, parseTelemetryBatch } from '../../protocol/telemetry-messages.js';
import type { TargetHealth } from '../engine/types.js';
import { createTelemetryCollector, OTHER_SERIES } from './telemetry-collector.js';
import { createHealthWatcher, tapRecorder } from './telemetry-sources.js';

describe('telemetry collector', () => {
  it('counts status classes and latency buckets per service/route and starts over on drain', () => {
    let now = 1000;
    const c = createTelemetryCollector(() => now);
    c.record('svc', 'r1', 200, 3, 2);
    c.record('svc', 'r1', 503, 12000, null);
    c.record(null, null, 404, 0.5, null);
    now = 2000;
    const b = c.drain(now);
    expect(b.interval).toEqual({ start: 1000, end: 2000 });
    const r1 = b.requests.find((s) => s.route === 'r1')!;
    expect(r1.status).toEqual({ '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 1 });
    expect(r1.latency_ms.count).toBe(2);
    expect(r1.latency_ms.buckets[2]).toBe(1); // 3 ms falls in (2, 5]
    expect(r1.latency_ms.buckets[23]).toBe(1); // 12 000 ms falls in (10 000, 30 000]
    expect(r1.upstream_latency_ms.count).toBe(1);
    expect(b.requests.find((s) => s.service === '')!.status['4xx']).toBe(1);
    // What it drains is a valid frame for the CP.
    expect(parseTelemetryBatch(Buffer.from(JSON.stringify(b)), true)).toEqual(b);
    expect(c.pending()).toBe(false);
    expect(c.drain(3000)).toMatchObject({ seq: 1, requests: [], interval: { start: 2000, end: 3000 } });
  });

  it('puts requests beyond the series limit under ~other', () => {
    const c = createTelemetryCollector();
    for (let i = 0; i < MAX_SERIES_PER_BATCH + 10; i++) c.record(`s${i}`, 'r', 200, 1, null);
    const b = c.drain(Date.now());
    expect(b.requests).toHaveLength(MAX_SERIES_PER_BATCH + 1);
    expect(b.requests.find((s) => s.service === OTHER_SERIES)!.status['2xx']).toBe(10);
  });

  it('refuses malformed frames with the field named', () => {
    const bad = (o: unknown) => () => parseTelemetryBatch(Buffer.from(JSON.stringify(o)), true);
    expect(() => parseTelemetryBatch(Buffer.from('{'), true)).toThrow(/not valid JSON/);
    expect(() => parseTelemetryBatch(Buffer.from('{}'), false)).toThrow(/must be binary/);
    expect(bad({ type: 'telemetry_batch', seq: -1 })).toThrow(ProtocolError);
    const ok = createTelemetryCollector().drain(5);
    expect(bad({ ...ok, requests: [{ service: 's', route: 'r' }] })).toThrow(/requests\.0\.status/);
  });
});

describe('telemetry sources', () => {
  it('wraps the proxy recorder without letting a collector failure through', () => {
    const seen: number[] = [];
    const recorder = {
      record: (_s: string | null, _r: string | null, status: number) => void seen.push(status),
    };
    const collector = createTelemetryCollector();
    const untap = tapRecorder(recorder, {
      ...collector,
      record: () => {
        throw new Error('boom');
      },
    });
    expect(() => recorder.record('s', 'r', 201)).not.toThrow();
    untap();
    const untap2 = tapRecorder(recorder, collector);
    recorder.record('s', 'r', 202);
    expect(seen).toEqual([201, 202]);
    expect(collector.drain(1).requests[0]!.status['2xx']).toBe(1);
    untap2();
  });

  it('reports every target first, then only changes', () => {
    let health: TargetHealth['health'] = 'HEALTHY';
    const targets = () => [{ id: 't', target: '10.0.0.1:80', weight: 100, health }];
    const changes: string[] = [];
    const w = createHealthWatcher(
      () => [['up', { health: targets }]],
      (c) => changes.push(`${c.target}=${c.health}`),
    );
    w.poll();
    w.poll();
    health = 'UNHEALTHY';
    w.poll();
    expect(changes).toEqual(['10.0.0.1:80=HEALTHY', '10.0.0.1:80=UNHEALTHY']);
  });
});
