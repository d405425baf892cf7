import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import type { Conf } from '../../config/conf/types.js';
import { redactConf } from '../../config/conf/redact-conf.js';
import { HYBRIDGATE_VERSION } from '../../version.js';
import type { Store } from '../store/store.js';
import type { EntityModel } from './entity-model.js';
import type { ServerCounters } from './server-counters.js';

/** What `GET /` and `GET /status` show. */
export interface InfoRoutesDeps {
  conf: Conf;
  nodeId: string;
  store: Store;
  model: EntityModel;
  counters: ServerCounters;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** Names of the plugins configured in the store (Kong's `enabled_in_cluster`), paging through all of them. */
async function pluginsInUse(store: Store): Promise<string[]> {
  const names = new Set<string>();
  let offset: string | null = null;
  do {
    const page = await store.list('plugins', { size: 1000, offset });
    for (const p of page.data) if (typeof p.name === 'string') names.add(p.name);
    offset = page.offset;
  } while (offset);
  return [...names].sort();
}

/**
 * `GET /`: node information (version, hostname, node id, role, redacted configuration, plugins) and
 * `GET /status`: database reachability, memory and connection counters, as Kong's root and status
 * endpoints.
 */
export function registerInfoRoutes(app: FastifyInstance, deps: InfoRoutesDeps): void {
  app.get('/', async (_req, reply) => {
    const available: Record<string, { version: string; priority: number }> = {};
    for (const name of deps.model.enabledPlugins) {
      const schema = deps.model.plugin(name);
      if (schema) available[name] = { version: schema.version, priority: schema.priority };
    }
    return reply.send({
      version: HYBRIDGATE_VERSION,
      hostname: hostname(),
      node_id: deps.nodeId,
      tagline: 'Welcome to hybridgate',
      role: deps.conf.role,
      configuration: redactConf(deps.conf),
      plugins: { available_on_server: available, enabled_in_cluster: await pluginsInUse(deps.store) },
      pids: { master: process.pid },
    });
  });

  app.get('/status', async (_req, reply) => {
    const mem = process.memoryUsage();
    return reply.send({
      database: { reachable: await deps.store.ping(), backend: deps.store.backend },
      memory: {
        process: {
          pid: process.pid,
          rss: mib(mem.rss),
          heap_used: mib(mem.heapUsed),
          heap_total: mib(mem.heapTotal),
          external: mib(mem.external),
        },
      },
      server: deps.counters.snapshot(),
      configuration_version: deps.store ? await deps.store.version().catch(() => null) : null,
    });
  });
}
