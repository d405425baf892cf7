import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FleetMetrics } from './metrics.js';

const counts = (n: number) => ({ connected: n, synced: n, incompatible: 0, total: n });

describe('FleetMetrics', () => {
  it('sets the gauges per DataPlane and node, and removes series that went away', async () => {
    const registry = new Registry();
    const m = new FleetMetrics(registry);
    m.observe('ns', 'cp', true, [
      {
        dataPlane: 'a',
        counts: counts(2),
        certificateExpirySeconds: new Map([
          ['a-1', 100],
          ['a-2', 200],
        ]),
      },
      { dataPlane: 'b', counts: counts(1), certificateExpirySeconds: new Map() },
    ]);
    let text = await registry.metrics();
    expect(text).toContain('hybridgate_dataplane_nodes{namespace="ns",dataplane="a",state="connected"} 2');
    expect(text).toContain('hybridgate_dataplane_nodes{namespace="ns",dataplane="b",state="total"} 1');
    expect(text).toContain(
      'hybridgate_dataplane_certificate_expiry_seconds{namespace="ns",dataplane="a",node="a-2"} 200',
    );
    expect(text).toContain('hybridgate_controlplane_reachable{namespace="ns",controlplane="cp"} 1');

    m.observe('ns', 'cp', false, [
      { dataPlane: 'a', counts: counts(1), certificateExpirySeconds: new Map([['a-1', 90]]) },
    ]);
    text = await registry.metrics();
    expect(text).not.toContain('dataplane="b"');
    expect(text).not.toContain('node="a-2"');
    expect(text).toContain('node="a-1"} 90');
    expect(text).toContain('hybridgate_controlplane_reachable{namespace="ns",controlplane="cp"} 0');

    m.forget('ns', 'cp');
    text = await registry.metrics();
    expect(text).not.toMatch(/\{namespace="ns"/);
  });
});
