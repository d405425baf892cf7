import { z } from 'zod';
import { CLOSE_CODES } from './constants.js';
import { ProtocolError } from './errors.js';

/**
 * The telemetry channel (issue 5; Kong EE's `cluster_telemetry_*`): DPs stream batched request
 * statistics to the CP over their own mTLS WebSocket, separate from config sync, so losing one never
 * affects the other. docs/protocol.md describes the frames.
 */

/** The WebSocket endpoint on the CP's telemetry listener. */
export const TELEMETRY_PATH = '/v1/ingest';

/** Latency histogram upper bounds in ms (Kong's prometheus plugin ladder); one more bucket is +Inf. */
export const TELEMETRY_LATENCY_BUCKETS_MS = [
  1, 2, 5, 7, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 30000,
  60000,
] as const;

/** Status classes counted per series. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** One status class. */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Target health states (the balancer's). */
export const HEALTH_STATES = ['HEALTHY', 'UNHEALTHY', 'DNS_ERROR', 'HEALTHCHECKS_OFF'] as const;

/** At most this many series in one batch (a DP aggregates the rest under service/route "~other"). */
export const MAX_SERIES_PER_BATCH = 2000;

const count = z.number().int().nonnegative();
const name = z.string().max(512);

const histogramSchema = z.strictObject({
  /** Non-cumulative counts per bucket, TELEMETRY_LATENCY_BUCKETS_MS.length + 1 entries (+Inf last). */
  buckets: z.array(count).length(TELEMETRY_LATENCY_BUCKETS_MS.length + 1),
  sum: z.number().nonnegative(),
  count,
});

/** A latency histogram in a batch. */
export type TelemetryHistogram = z.infer<typeof histogramSchema>;

const seriesSchema = z.strictObject({
  /** Service and route names (ids when unnamed; "" when the request matched none). */
  service: name,
  route: name,
  status: z.strictObject({ '1xx': count, '2xx': count, '3xx': count, '4xx': count, '5xx': count }),
  latency_ms: histogramSchema,
  upstream_latency_ms: histogramSchema,
});

/** Request statistics of one service/route pair over one batch interval. */
export type TelemetrySeries = z.infer<typeof seriesSchema>;

const healthChangeSchema = z.strictObject({
  upstream: name,
  target: name,
  health: z.enum(HEALTH_STATES),
  /** Unix ms when the DP saw the change. */
  at: z.number().int().nonnegative(),
});

/** A target's health as a DP saw it change. */
export type HealthChange = z.infer<typeof healthChangeSchema>;

/** One batch frame (binary JSON) from a DP. */
export const telemetryBatchSchema = z.strictObject({
  type: z.literal('telemetry_batch'),
  seq: count,
  /** Unix ms: the interval the counts cover. */
  interval: z.strictObject({ start: count, end: count }),
  requests: z.array(seriesSchema).max(MAX_SERIES_PER_BATCH + 1),
  upstream_health: z.array(healthChangeSchema).max(10_000),
  /** Requests the DP could not attribute to a series (over its series limit) or failed to send. */
  dropped: count,
});

/** A validated batch. */
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;

/** Validates a telemetry frame; a bad frame is a ProtocolError the CP closes with. */
export function parseTelemetryBatch(data: Buffer, isBinary: boolean): TelemetryBatch {
  const code = CLOSE_CODES.unexpectedFrame;
  if (!isBinary) throw new ProtocolError('telemetry frames must be binary', code);
  let obj: unknown;
  try {
    obj = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ProtocolError('telemetry frame is not valid JSON', code, {}, { cause: err });
  }
  const res = telemetryBatchSchema.safeParse(obj);
  if (!res.success) {
    const why = res.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new ProtocolError(`invalid telemetry batch: ${why}`, code);
  }
  return res.data;
}

/** The status class of an HTTP status (statuses outside 100-599 count as 5xx: the proxy failed). */
export function statusClassOf(status: number): StatusClass {
  if (status >= 100 && status < 200) return '1xx';
  if (status < 300 && status >= 200) return '2xx';
  if (status < 400 && status >= 300) return '3xx';
  if (status < 500 && status >= 400) return '4xx';
  return '5xx';
}

/** The bucket index of a latency (the +Inf bucket is the last). */
export function bucketIndex(ms: number): number {
  let i = 0;
  while (i < TELEMETRY_LATENCY_BUCKETS_MS.length && ms > TELEMETRY_LATENCY_BUCKETS_MS[i]!) i++;
  return i;
}

/** An empty histogram. */
export function emptyHistogram(): TelemetryHistogram {
  return { buckets: new Array<number>(TELEMETRY_LATENCY_BUCKETS_MS.length + 1).fill(0), sum: 0, count: 0 };
}
