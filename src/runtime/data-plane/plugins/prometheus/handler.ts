/**
 * prometheus: records each request in the log phase into the metrics of ./metrics.ts. Which metric
 * families are recorded follows the instance's *_metrics flags, as in Kong 3.x.
 */
import { prometheusSchema } from '../../../plugins/prometheus/schema.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';
import {
  bandwidth,
  httpRequests,
  kongLatency,
  requestLatency,
  upstreamHealthMetricsEnabled,
  upstreamLatency,
} from './metrics.js';

interface PrometheusConf {
  perConsumer: boolean;
  status: boolean;
  latency: boolean;
  bandwidth: boolean;
  health: boolean;
}

const SOURCES = { service: 'service', exit: 'exit', error: 'kong' } as const;

function names(ctx: RequestContext): { service: string; route: string } {
  const s = ctx.service;
  const r = ctx.route;
  return {
    service: s === null ? '' : String(s.name ?? s.host ?? s.id),
    route: r === null ? '' : String(r.name ?? r.id),
  };
}

/** Records one finished request (exported for tests). */
export function record(ctx: RequestContext, conf: PrometheusConf): void {
  const { service, route } = names(ctx);
  const consumer =
    conf.perConsumer && ctx.consumer !== null ? String(ctx.consumer.username ?? ctx.consumer.id) : '';
  const workspace = 'default';
  if (conf.status) {
    const status = ctx.response?.status ?? ctx.exited?.status ?? 0;
    const source = ctx.response !== null ? SOURCES[ctx.response.source] : 'kong';
    httpRequests.inc({ service, route, code: String(status), source, workspace, consumer });
  }
  if (conf.latency) {
    const t = ctx.timings;
    const end = t.end ?? performance.now();
    const total = end - t.start;
    requestLatency.observe({ service, route, workspace }, total);
    if (t.upstreamStart !== null && t.upstreamHeaders !== null) {
      const up = t.upstreamHeaders - t.upstreamStart;
      upstreamLatency.observe({ service, route, workspace }, up);
      kongLatency.observe({ service, route, workspace }, Math.max(0, total - up));
    } else {
      kongLatency.observe({ service, route, workspace }, total);
    }
  }
  if (conf.bandwidth) {
    if (ctx.bytesIn > 0)
      bandwidth.inc({ service, route, direction: 'ingress', workspace, consumer }, ctx.bytesIn);
    if (ctx.bytesOut > 0)
      bandwidth.inc({ service, route, direction: 'egress', workspace, consumer }, ctx.bytesOut);
  }
}

/** The prometheus handler (priority 13, Kong's: its log runs after everything else). */
export const prometheusHandler = defineHandler<PrometheusConf>({
  name: 'prometheus',
  version: prometheusSchema.version,
  priority: prometheusSchema.priority,
  prepare(config) {
    const conf = {
      perConsumer: config.per_consumer === true,
      status: config.status_code_metrics === true,
      latency: config.latency_metrics === true,
      bandwidth: config.bandwidth_metrics === true,
      health: config.upstream_health_metrics === true,
    };
    if (conf.health) upstreamHealthMetricsEnabled(1);
    return conf;
  },
  dispose(conf) {
    if (conf.health) upstreamHealthMetricsEnabled(-1);
  },
  phases: { log: record },
});
