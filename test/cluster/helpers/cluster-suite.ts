import { afterAll, beforeAll } from '@jest/globals';
import { adminCall, startUpstream, type Upstream } from './http.js';
import {
  controlPlaneEnv,
  dataPlaneEnv,
  removeWorkspaces,
  startHybridgate,
  Workspace,
  type CertFiles,
  type StartedNode,
} from './hybrid-cluster.js';
import { stopAllNodes } from './node-process.js';

/**
 * The fixture of a multi-process suite: a workspace, the shared cluster certificate (gen_cert), an
 * upstream in the test process and a control plane. Filled in beforeAll; afterAll stops every node
 * the file started and removes every workspace, whether or not its tests passed.
 */
export class ClusterSuite {
  ws!: Workspace;
  certs!: CertFiles;
  upstream!: Upstream;
  /** Reassign after restarting the CP, so later helpers talk to the live one. */
  cp!: StartedNode;

  /** Starts DP `name` (prefix `<workspace>/<name>`) against the CP's cluster port. */
  startDataPlane(name: string, extra: Record<string, string> = {}, label = name): Promise<StartedNode> {
    return startHybridgate(label, dataPlaneEnv(this.ws, name, this.certs, this.cp.port('cluster'), extra));
  }

  /** Adds service `name` on the suite's upstream and a route on `path`, through the CP's Admin API. */
  async addRoute(name: string, path: string): Promise<void> {
    const admin = this.cp.port('admin');
    await adminCall(admin, 'POST', '/services', { name, url: this.upstream.url });
    await adminCall(admin, 'POST', `/services/${name}/routes`, { name, paths: [path] });
  }
}

/** Registers the hooks of a suite whose upstream is called `upstream`; `cpExtra` adds CP env vars. */
export function clusterSuite(o: { upstream: string; cpExtra?: Record<string, string> }): ClusterSuite {
  const suite = new ClusterSuite();
  beforeAll(async () => {
    suite.ws = new Workspace();
    [suite.certs, suite.upstream] = await Promise.all([
      suite.ws.genCert('cluster'),
      startUpstream(o.upstream),
    ]);
    suite.cp = await startHybridgate('cp', controlPlaneEnv(suite.ws, suite.certs, { extra: o.cpExtra }));
  }, 60_000);
  afterAll(async () => {
    await stopAllNodes();
    await suite.upstream?.close();
    removeWorkspaces();
  });
  return suite;
}
