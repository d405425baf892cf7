import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Role } from '../../config/conf/types.js';
import { DbError } from '../../errors.js';
import type { DataPlaneRegistry } from './data-plane-registry.js';

/** What the /clustering/* routes need: the node's role and, on a CP, the registry of DPs. */
export interface ClusteringRoutesDeps {
  role: Role;
  dataPlanes: DataPlaneRegistry | null;
}

const NOT_CP_MESSAGE =
  'this endpoint is only available when Kong is configured to run as Control Plane for the cluster';
const MAX_SIZE = 1000;
const DEFAULT_SIZE = 100;

function sendDbError(reply: FastifyReply, err: DbError): FastifyReply {
  return reply.code(err.status).send(err.toBody());
}

function parseSize(raw: unknown): number | DbError {
  if (raw === undefined) return DEFAULT_SIZE;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SIZE) {
    return new DbError('INVALID_SIZE', `size must be an integer between 1 and ${MAX_SIZE}`, undefined, {
      size: raw,
    });
  }
  return n;
}

/** Offsets are opaque to clients (as Kong's): the base64url of the last id of the previous page. */
function parseOffset(raw: unknown): string | null | DbError {
  if (raw === undefined) return null;
  const id = typeof raw === 'string' ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  if (!id || Buffer.from(id, 'utf8').toString('base64url') !== raw) {
    return new DbError('INVALID_OFFSET', `'${String(raw)}' is not a valid offset: bad base64 encoding`);
  }
  return id;
}

/**
 * Registers the cluster status API on the Admin API (Kong's kong/api/routes/clustering.lua):
 * `GET /clustering/data-planes` (paginated), `GET /clustering/status` (deprecated shape) and
 * `DELETE /clustering/data-planes/:id` (forget a DP, e.g. one the operator scaled away).
 */
export function registerClusteringRoutes(app: FastifyInstance, deps: ClusteringRoutesDeps): void {
  const registryOr400 = (reply: FastifyReply): DataPlaneRegistry | null => {
    if (deps.role !== 'control_plane' || !deps.dataPlanes) {
      void reply.code(400).send({ message: NOT_CP_MESSAGE });
      return null;
    }
    return deps.dataPlanes;
  };

  app.get('/clustering/data-planes', async (req, reply) => {
    const registry = registryOr400(reply);
    if (!registry) return reply;
    const q = req.query as Record<string, unknown>;
    const size = parseSize(q.size);
    if (size instanceof DbError) return sendDbError(reply, size);
    const after = parseOffset(q.offset);
    if (after instanceof DbError) return sendDbError(reply, after);
    await registry.refresh();
    const rows = registry.list().filter((r) => after === null || r.id > after);
    const data = rows.slice(0, size);
    const last = data[data.length - 1];
    const offset = rows.length > size && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null;
    const sizeParam = q.size === undefined ? '' : `&size=${size}`;
    return reply.send({
      data,
      offset,
      next: offset ? `/clustering/data-planes?offset=${encodeURIComponent(offset)}${sizeParam}` : null,
    });
  });

  app.get('/clustering/status', async (_req, reply) => {
    const registry = registryOr400(reply);
    if (!registry) return reply;
    await registry.refresh();
    const body: Record<string, { config_hash: string; hostname: string; ip: string; last_seen: number }> = {};
    for (const r of registry.list()) {
      body[r.id] = { config_hash: r.config_hash, hostname: r.hostname, ip: r.ip, last_seen: r.last_seen };
    }
    return reply.header('Deprecation', 'true').send(body);
  });

  app.delete('/clustering/data-planes/:id', async (req, reply) => {
    const registry = registryOr400(reply);
    if (!registry) return reply;
    const { id } = req.params as { id: string };
    await registry.refresh();
    if (!registry.remove(id)) return reply.code(404).send({ message: 'Not found' });
    return reply.code(204).send();
  });
}
