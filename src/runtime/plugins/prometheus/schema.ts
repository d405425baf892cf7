import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { HTTP_PROTOCOLS, PLUGIN_PROTOCOLS, type PluginSchema } from '../types.js';

/** prometheus: exposes request, latency, bandwidth and health metrics in Prometheus format. */
export const prometheusSchema: PluginSchema = {
  name: 'prometheus',
  version: HYBRIDGATE_VERSION,
  priority: 13,
  protocols: PLUGIN_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: z.strictObject({
    per_consumer: z.boolean().default(false),
    status_code_metrics: z.boolean().default(false),
    latency_metrics: z.boolean().default(false),
    bandwidth_metrics: z.boolean().default(false),
    upstream_health_metrics: z.boolean().default(false),
  }),
};
