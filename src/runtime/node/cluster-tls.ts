import type { Conf } from '../config/conf/types.js';
import { ConfError } from '../errors.js';
import { createSharedTlsPolicy, type ClusterTlsPolicy } from '../protocol/tls-policy.js';

/**
 * The TLS policy of the cluster connection for `cluster_mtls`. Shared mode: both sides present the one
 * `cluster_cert` and accept only it (seed 002). PKI mode is tracked by its own issue and refused here
 * with a clear error rather than half-working.
 */
export function clusterTlsPolicyFromConf(conf: Conf): ClusterTlsPolicy {
  if (conf.cluster_cert === null || conf.cluster_cert_key === null) {
    throw new ConfError('cluster_cert and cluster_cert_key are required for clustering', { role: conf.role });
  }
  if (conf.cluster_mtls === 'pki') {
    throw new ConfError('cluster_mtls = pki is not available in this build yet (expected shared)', {
      cluster_mtls: conf.cluster_mtls,
    });
  }
  return createSharedTlsPolicy(conf.cluster_cert.pem, conf.cluster_cert_key.pem);
}
