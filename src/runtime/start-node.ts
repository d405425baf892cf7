import type { Logger } from '../shared/logger.js';
import type { Conf, Role } from './config/conf/types.js';
import { startControlPlaneNode } from './node/control-plane-node.js';
import { startDataPlaneNode } from './node/data-plane-node.js';
import { startTraditionalNode } from './node/traditional-node.js';

/** A node started by `hybridgate start`: what it listens on, and how to stop it. */
export interface RunningNode {
  readonly role: Role;
  /**
   * Bound addresses by listener name (`admin`, `admin_ssl`, `proxy`, `proxy_ssl`, `status`, `cluster`,
   * with `_2`... for further addresses of one kind).
   */
  readonly addresses: Readonly<Record<string, { host: string; port: number }>>;
  /** Stops listening, finishes in-flight work, closes the store. */
  close(): Promise<void>;
}

const STARTERS: Record<Role, (conf: Conf, logger: Logger) => Promise<RunningNode>> = {
  control_plane: startControlPlaneNode,
  data_plane: startDataPlaneNode,
  traditional: startTraditionalNode,
};

/**
 * Starts the parts a role needs (store, Admin API, proxy, clustering). The CLI logs the returned
 * addresses in its `node started` line, from which multi-process tests read ports they asked as 0.
 */
export function startNode(conf: Conf, logger: Logger): Promise<RunningNode> {
  return STARTERS[conf.role](conf, logger);
}
