import type { FastifyInstance } from 'fastify';
import type { TelemetryAggregator } from './telemetry-aggregator.js';

const NOT_CP_MESSAGE =
  'this endpoint is only available when Kong is configured to run as Control Plane for the cluster';

/**
 * `GET /clustering/telemetry` on the Admin API: the cluster total and each DP's request statistics,
 * upstream health and telemetry link state. Like the other /clustering routes it answers 400 on a node
 * that is not a control plane (aggregator null).
 */
export function telemetryRoutes(aggregator: TelemetryAggregator | null): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/clustering/telemetry', async (_req, reply) => {
      if (!aggregator) return reply.code(400).send({ message: NOT_CP_MESSAGE });
      return reply.send(aggregator.view());
    });
  };
}
