import { afterAll, beforeAll } from '@jest/globals';
import { startPgServer, type PgServer } from '../postgres/pg-server.js';
import { httpRequest, startUpstream, type Upstream } from '../cluster/helpers/http.js';
import { proxyGet } from '../cluster/helpers/cluster-state.js';
import {
  controlPlaneEnv,
  dataPlaneEnv,
  removeWorkspaces,
  runHybridgate,
  startHybridgate,
  Workspace,
  type CertFiles,
  type StartedNode,
} from '../cluster/helpers/hybrid-cluster.js';
import { describeExit, stopAllNodes } from '../cluster/helpers/node-process.js';

/**
 * The fixture of a multi-process suite on PostgreSQL: a throwaway PostgreSQL server, the schema made
 * by `hybridgate migrations bootstrap` (the command an operator runs), the shared cluster certificate
 * from `hybridgate hybrid gen_cert`, an upstream in the test process, and helpers to start control
 * planes on that database and data planes that know several of them. afterAll stops every node, the
 * upstream and the server, whether or not the tests passed.
 */

/** Short heartbeats: rows of another CP go stale after 2 × this, and dead links are noticed fast. */
export const PING_INTERVAL_S = 1;

/** The suite's shared state, filled in by beforeAll. */
export class PgClusterSuite {
  ws!: Workspace;
  certs!: CertFiles;
  upstream!: Upstream;
  pg!: PgServer;

  /** The pg_* environment of a CP (timeouts short so an outage is answered at once, not in 5 s). */
  pgEnv(): Record<string, string> {
    return {
      HYBRIDGATE_DATABASE: 'postgres',
      HYBRIDGATE_PG_HOST: this.pg.host,
      HYBRIDGATE_PG_PORT: String(this.pg.port),
      HYBRIDGATE_PG_USER: this.pg.user,
      HYBRIDGATE_PG_PASSWORD: this.pg.password,
      HYBRIDGATE_PG_DATABASE: this.pg.database,
      HYBRIDGATE_PG_TIMEOUT: '1000',
    };
  }

  /** Starts control plane `name` on the suite's database. */
  startControlPlane(name: string): Promise<StartedNode> {
    return startHybridgate(
      name,
      controlPlaneEnv(this.ws, this.certs, {
        name,
        extra: { ...this.pgEnv(), HYBRIDGATE_CLUSTER_PING_INTERVAL: String(PING_INTERVAL_S) },
      }),
    );
  }

  /** Starts data plane `name` with `cps` as its cluster_control_plane list, in that order. */
  startDataPlane(name: string, cps: readonly StartedNode[]): Promise<StartedNode> {
    const first = cps[0];
    if (!first) throw new Error('a data plane needs at least one control plane');
    return startHybridgate(
      name,
      dataPlaneEnv(this.ws, name, this.certs, first.port('cluster'), {
        HYBRIDGATE_CLUSTER_CONTROL_PLANE: cps.map((cp) => `127.0.0.1:${cp.port('cluster')}`).join(','),
        HYBRIDGATE_CLUSTER_PING_INTERVAL: String(PING_INTERVAL_S),
      }),
    );
  }
}

/** Registers the hooks of a suite whose upstream is called `upstream`. */
export function pgClusterSuite(o: { upstream: string }): PgClusterSuite {
  const suite = new PgClusterSuite();
  beforeAll(async () => {
    suite.ws = new Workspace();
    [suite.pg, suite.certs, suite.upstream] = await Promise.all([
      startPgServer(),
      suite.ws.genCert('cluster'),
      startUpstream(o.upstream),
    ]);
    const { exit, proc } = await runHybridgate(
      'migrations bootstrap',
      ['migrations', 'bootstrap'],
      suite.pgEnv(),
    );
    if (exit.code !== 0) throw proc.failure(`failed (${describeExit(exit)})`);
  }, 60_000);
  afterAll(async () => {
    await stopAllNodes();
    await suite.upstream?.close();
    await suite.pg?.close();
    removeWorkspaces();
  }, 30_000);
  return suite;
}

/** Polls GET `path` through `dp` every 5 ms until it answers 200; resolves with the ms it took. */
export async function msUntilServed(dp: StartedNode, path: string, timeoutMs = 10_000): Promise<number> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  for (;;) {
    const r = await proxyGet(dp, path).catch(() => null);
    if (r?.status === 200) return performance.now() - start;
    if (performance.now() > deadline) {
      throw dp.proc.failure(`did not serve ${path} within ${timeoutMs} ms (last status ${r?.status})`);
    }
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** A request loop through some DPs until stopped: counts what failed, and how. */
export interface LoadLoop {
  /** Stops the loop; resolves with the totals once the request in flight has ended. */
  stop(): Promise<{ total: number; failures: string[] }>;
  /** Requests answered so far. */
  count(): number;
}

/**
 * Sends GET `paths` round-robin through `dps` back to back (one in flight: bounded load on a shared
 * machine) until stopped or `maxRequests` is reached; anything but 200 is recorded as a failure.
 */
export function startLoadLoop(
  dps: () => readonly StartedNode[],
  paths: readonly string[],
  maxRequests = 20_000,
): LoadLoop {
  let running = true;
  let total = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running && total < maxRequests) {
      const list = dps();
      const dp = list[total % list.length]!;
      const path = paths[total % paths.length]!;
      total++;
      try {
        const r = await httpRequest(dp.port('proxy'), 'GET', path, { timeoutMs: 5000 });
        if (r.status !== 200) failures.push(`${dp.proc.name} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`${dp.proc.name} ${path}: ${(err as Error).message}`);
      }
    }
  })();
  return {
    count: () => total,
    stop: async () => {
      running = false;
      await loop;
      return { total, failures };
    },
  };
}
