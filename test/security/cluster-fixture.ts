import { afterEach } from '@jest/globals';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { waitFor } from '../cluster/helpers.js';
import { legitDataPlane, startTestClusterCp, type TestClusterCp } from './cluster-harness.js';

/** Something to undo after a test: a server to close, a socket to destroy, a timer to clear. */
export type Cleanup = () => Promise<void> | void;

/**
 * The fixture of the cluster-port suites: one shared cluster certificate for the file (its CP TLS
 * policy and the DPs' credentials), and cleanups registered during a test, run newest first after it.
 */
export function clusterFixture() {
  const pair = generateSharedClusterCertificate({ days: 2 });
  const tls = createSharedTlsPolicy(pair.certPem, pair.keyPem);
  const creds = { cert: pair.certPem, key: pair.keyPem };
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const cleanup = (c: Cleanup) => {
    cleanups.push(c);
  };
  return {
    creds,
    cleanup,
    /** A test CP with these credentials, closed after the test. */
    async startCp(opts: Parameters<typeof startTestClusterCp>[1]): Promise<TestClusterCp> {
      const cp = await startTestClusterCp(tls, opts);
      cleanup(() => cp.close());
      return cp;
    },
    /** A well-behaved DP (from `localAddress` if given) that got its first config; terminated after the test. */
    async servedDp(port: number, what: string, localAddress?: string) {
      const dp = await legitDataPlane(port, { ...creds, ...(localAddress ? { localAddress } : {}) });
      cleanup(() => dp.ws.terminate());
      await waitFor(() => dp.hashes.length === 1, what);
      return dp;
    },
  };
}
