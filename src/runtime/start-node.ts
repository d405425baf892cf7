import type { Logger } from '../shared/logger.js';
import type { Conf, Role } from './config/conf/types.js';
import { ConfError } from './errors.js';

/** A node started by `hybridgate start`: what it listens on, and how to stop it. */
export interface RunningNode {
  readonly role: Role;
  /** Bound addresses by listener name (`admin`, `proxy`, `proxy_ssl`, `status`, `cluster`, ...). */
  readonly addresses: Readonly<Record<string, { host: string; port: number }>>;
  /** Stops listening, finishes in-flight work, closes the store. */
  close(): Promise<void>;
}

/** Starts the parts a role needs (store, Admin API, proxy, clustering). */
export async function startNode(conf: Conf, _logger: Logger): Promise<RunningNode> {
  // Filled in role by role as the Admin API, proxy and clustering land.
  throw new ConfError(`role ${conf.role} cannot be started by this build yet`, { role: conf.role });
}
