import type { Registry } from 'prom-client';
import type { RouteModule } from '../control-plane/admin/admin-app.js';

/** `GET /metrics` on the Admin API: the control plane's Prometheus metrics (cluster, pushes). */
export function adminMetricsRoute(registry: Registry): RouteModule {
  return (app) => {
    app.get('/metrics', async (_req, reply) => {
      const body = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(body);
    });
  };
}
