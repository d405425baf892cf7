import type { FastifyInstance } from 'fastify';

/** The configuration data planes are sent now: its hash and the store version it was exported from. */
export interface CurrentExport {
  configHash: string;
  version: number;
}

/** What the route needs: the CP's current export, or null before the CP has made one. */
export interface ConfigHashRouteDeps {
  current(): Promise<CurrentExport | null>;
}

/**
 * `GET /clustering/config-hash`: the hash a synced data plane runs. The operator compares each DP row's
 * `config_hash` with it; Kong has no such endpoint, so the name stays under `/clustering/`.
 */
export function registerConfigHashRoute(app: FastifyInstance, deps: ConfigHashRouteDeps): void {
  app.get('/clustering/config-hash', async (_req, reply) => {
    const current = await deps.current();
    // The export is made once the store is open; a request in that window is told to retry.
    if (!current) return reply.code(503).send({ message: 'the configuration has not been exported yet' });
    return reply.send({ config_hash: current.configHash, version: current.version });
  });
}
