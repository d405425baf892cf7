import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import type { Conf } from '../config/conf/types.js';
import { ENTITY_DEFINITIONS } from '../config/entities/index.js';
import { ConfError } from '../errors.js';
import { loadOrCreateNodeId } from '../node-id.js';
import type { RouteModule } from './admin/admin-app.js';
import { startAdminServer, type AdminAddress } from './admin/admin-server.js';
import { kongEntityModel } from './admin/entity-model.js';
import { openLmdbStore } from './store/lmdb-store.js';
import { openPostgresStore } from './store/postgres/postgres-store.js';
import { postgresConnectionFromConf } from './store/postgres/pg-options.js';
import type { Store } from './store/store.js';

/** A running control plane (or the storage + Admin API half of a traditional node). */
export interface ControlPlane {
  store: Store;
  admin: { addresses: AdminAddress[] };
  nodeId: string;
  /** Stops the Admin API (in-flight requests finish), then closes the store. */
  close(): Promise<void>;
}

/** Extras the node composer plugs in. */
export interface StartControlPlaneOptions {
  /** Admin API route modules registered on every listener, e.g. `/clustering/*`. */
  adminModules?: readonly RouteModule[];
}

/**
 * Where the LMDB store lives: `lmdb_environment_path`, under the prefix unless absolute (Kong's
 * property for its LMDB). The operator points it at the control plane's persistent volume, so a
 * restarted pod keeps its configuration.
 */
export function storePath(conf: Pick<Conf, 'prefix' | 'lmdb_environment_path'>): string {
  return resolve(conf.prefix, conf.lmdb_environment_path);
}

/** The store `database` names: LMDB under the prefix, or PostgreSQL (migrated with `hybridgate migrations`). */
function openStore(conf: Conf, logger: Logger): Promise<Store> {
  if (conf.database === 'postgres') {
    return openPostgresStore({
      connection: postgresConnectionFromConf(conf),
      definitions: ENTITY_DEFINITIONS,
      logger,
    });
  }
  return openLmdbStore({
    path: storePath(conf),
    mapSize: conf.lmdb_map_size,
    definitions: ENTITY_DEFINITIONS,
    logger,
  });
}

/**
 * Starts the control plane's own parts: the store (LMDB at `lmdb_environment_path`, map size from
 * `lmdb_map_size`) and the Admin API on every `admin_listen` address. Clustering is composed beside it
 * by start-node.ts (it reads `store.snapshot()` and `store.onChange`).
 */
export async function startControlPlane(
  conf: Conf,
  logger: Logger,
  opts: StartControlPlaneOptions = {},
): Promise<ControlPlane> {
  if (conf.database === 'off') {
    throw new ConfError(
      'database = off cannot store configuration (expected lmdb or postgres on a control plane)',
      {
        database: conf.database,
      },
    );
  }
  mkdirSync(conf.prefix, { recursive: true });
  const nodeId = loadOrCreateNodeId(conf.prefix, logger);
  const store = await openStore(conf, logger.child({ subsystem: 'store' }));
  try {
    const admin = await startAdminServer({
      conf,
      logger: logger.child({ subsystem: 'admin-api' }),
      store,
      model: kongEntityModel(conf.plugins),
      nodeId,
      ...(opts.adminModules ? { modules: opts.adminModules } : {}),
    });
    logger.info({ node_id: nodeId, version: await store.version() }, 'control plane started');
    return {
      store,
      admin: { addresses: admin.addresses },
      nodeId,
      close: async () => {
        await admin.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
