import type { HealthChange } from '../../protocol/telemetry-messages.js';
import type { TargetHealth } from '../engine/types.js';
import type { ExchangeRecorder } from '../proxy/proxy-handler.js';
import type { TelemetryCollector } from './telemetry-collector.js';

/**
 * Feeds the collector from the proxy's existing recorder (the status area's ProxyMetrics) without a
 * change to the proxy: the recorder instance's `record` is wrapped, so every exchange it records is
 * also counted for telemetry. A collector failure never reaches the request. Returns the unwrap.
 */
export function tapRecorder(recorder: ExchangeRecorder, collector: TelemetryCollector): () => void {
  const original = recorder.record;
  // Explicit parameters: a rest/spread wrapper would allocate an array on every request.
  const tapped: ExchangeRecorder['record'] = function (
    this: unknown,
    service,
    route,
    status,
    latencyMs,
    upstreamMs,
  ) {
    original.call(this, service, route, status, latencyMs, upstreamMs);
    try {
      collector.record(service, route, status, latencyMs, upstreamMs);
    } catch {
      // Telemetry is best effort; proxying and the status metrics must not notice it.
    }
  };
  recorder.record = tapped;
  return () => {
    if (recorder.record === tapped) recorder.record = original;
  };
}

/** Something that lists balancers by upstream name (the engine's current ConfigState). */
export type BalancerSource = () => Iterable<[string, { health?(): TargetHealth[] }]> | null | undefined;

/**
 * Turns periodic looks at the balancers into health changes: the first look reports every target
 * (the CP starts from nothing), later ones only what changed; targets that disappear are not reported
 * (the config changed, not their health).
 */
export function createHealthWatcher(
  source: BalancerSource,
  onChange: (c: HealthChange) => void,
  now: () => number = Date.now,
): { poll(): void } {
  const last = new Map<string, TargetHealth['health']>();
  return {
    poll() {
      const seen = new Set<string>();
      for (const [upstream, balancer] of source() ?? []) {
        for (const t of balancer.health?.() ?? []) {
          const key = `${upstream}\u0000${t.target}`;
          seen.add(key);
          if (last.get(key) === t.health) continue;
          last.set(key, t.health);
          onChange({ upstream, target: t.target, health: t.health, at: now() });
        }
      }
      for (const key of [...last.keys()]) if (!seen.has(key)) last.delete(key);
    },
  };
}
