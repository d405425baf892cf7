import type { ExchangeRecorder } from '../proxy/proxy-handler.js';
import type { WorkerRecords } from './worker-messages.js';

/**
 * The exchanges a proxy worker recorded since its last flush, as parallel arrays (one message per
 * second over IPC, not one per request), so that the primary's recorder, the one the node's telemetry
 * taps, sees every exchange of every worker.
 */
export class ExchangeBatch {
  private services: (string | null)[] = [];
  private routes: (string | null)[] = [];
  private statuses: number[] = [];
  private latencies: number[] = [];
  private upstream: (number | null)[] = [];

  /** Number of exchanges waiting. */
  get size(): number {
    return this.statuses.length;
  }

  /** Wraps `recorder.record` so each exchange is also added here; returns the unwrap. */
  tap(recorder: ExchangeRecorder): () => void {
    const original = recorder.record;
    const tapped: ExchangeRecorder['record'] = (service, route, status, latencyMs, upstreamMs) => {
      original.call(recorder, service, route, status, latencyMs, upstreamMs);
      this.services.push(service);
      this.routes.push(route);
      this.statuses.push(status);
      this.latencies.push(latencyMs);
      this.upstream.push(upstreamMs);
    };
    recorder.record = tapped;
    return () => {
      if (recorder.record === tapped) recorder.record = original;
    };
  }

  /** The waiting exchanges as a message, emptying the batch. */
  take(): WorkerRecords {
    const m: WorkerRecords = {
      type: 'hg:records',
      services: this.services,
      routes: this.routes,
      statuses: this.statuses,
      latencies: this.latencies,
      upstream: this.upstream,
    };
    this.services = [];
    this.routes = [];
    this.statuses = [];
    this.latencies = [];
    this.upstream = [];
    return m;
  }
}

/** Replays a worker's exchanges into the primary's recorder; malformed batches are ignored. */
export function replayExchanges(m: WorkerRecords, recorder: ExchangeRecorder): void {
  const n = Array.isArray(m.statuses) ? m.statuses.length : 0;
  if (![m.services, m.routes, m.latencies, m.upstream].every((a) => Array.isArray(a) && a.length === n))
    return;
  for (let i = 0; i < n; i++)
    recorder.record(m.services[i]!, m.routes[i]!, m.statuses[i]!, m.latencies[i]!, m.upstream[i]!);
}
