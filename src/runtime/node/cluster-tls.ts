import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { Conf, PemValue } from '../config/conf/types.js';
import { ConfError } from '../errors.js';
import { createOcspChecker } from '../pki/ocsp-checker.js';
import { createPkiTlsPolicy, type RevocationCheck } from '../protocol/tls-policy-pki.js';
import { createReloadingTlsPolicy } from '../protocol/reloading-tls-policy.js';
import { createSharedTlsPolicy, type ClusterTlsPolicy } from '../protocol/tls-policy.js';

/** Options of clusterTlsPolicyFromConf (all optional so start-node keeps its one-argument call). */
export interface ClusterTlsOptions {
  logger?: Logger;
  /** `telemetry` takes cluster_telemetry_server_name first for the DP's SNI and name check. */
  channel?: 'cluster' | 'telemetry';
  /** Fallback poll of the certificate files (default 5000 ms; tests shorten it). */
  pollIntervalMs?: number;
  /** Reuse one OCSP checker (and its cache) across the cluster and telemetry listeners. */
  revocation?: RevocationCheck | null;
}

/** Kong's nginx log levels as pino's (pino has no notice/crit/alert/emerg). */
function pinoLevel(level: Conf['log_level']): 'debug' | 'info' | 'warn' | 'error' | 'fatal' {
  if (level === 'notice') return 'info';
  if (level === 'crit' || level === 'alert' || level === 'emerg') return 'fatal';
  return level;
}

/** The PEM of a value as it is on disk now (the conf loader's copy for inline values). */
function currentPem(v: PemValue, field: string): string {
  if (v.path === null) return v.pem;
  try {
    return readFileSync(v.path, 'utf8');
  } catch (err) {
    throw new ConfError(`${field}: file ${v.path} cannot be read (${errorMessage(err)})`, { field });
  }
}

/**
 * The name a DP expects on the CP certificate (issue 5: cluster_server_name, else the CP's host). With
 * several cluster_control_plane addresses the first one's host stands for all of them: CPs behind
 * different names need cluster_server_name (a name every CP certificate carries).
 */
export function expectedServerName(conf: Conf, channel: 'cluster' | 'telemetry' = 'cluster'): string {
  if (channel === 'telemetry') {
    return (
      conf.cluster_telemetry_server_name ?? conf.cluster_server_name ?? conf.cluster_telemetry_endpoint.host
    );
  }
  return conf.cluster_server_name ?? conf.cluster_control_plane[0].host;
}

/** The OCSP check of a control plane for cluster_ocsp (null when off, on DPs and in shared mode). */
export function revocationFromConf(conf: Conf, logger: Logger): RevocationCheck | null {
  if (conf.role !== 'control_plane' || conf.cluster_mtls !== 'pki' || conf.cluster_ocsp === 'off')
    return null;
  return createOcspChecker({ mode: conf.cluster_ocsp, logger: logger.child({ subsystem: 'ocsp' }) });
}

/**
 * The TLS policy of the cluster (or telemetry) connection for `cluster_mtls`. Shared mode: both sides
 * present the one cluster_cert and accept only it. PKI mode: CA-issued certificates checked against
 * cluster_ca_cert (a root), EKU, server name and, on a CP, cluster_ocsp. When any of the files has a
 * path, the policy reloads them on change. Throws ConfError/PkiError for unusable material.
 */
export function clusterTlsPolicyFromConf(conf: Conf, opts: ClusterTlsOptions = {}): ClusterTlsPolicy {
  const certV = conf.cluster_cert;
  const keyV = conf.cluster_cert_key;
  if (certV === null || keyV === null) {
    throw new ConfError('cluster_cert and cluster_cert_key are required for clustering', { role: conf.role });
  }
  const caV = conf.cluster_ca_cert;
  const logger = opts.logger ?? createLogger({ component: 'clustering', level: pinoLevel(conf.log_level) });
  if (conf.cluster_mtls === 'pki' && conf.role === 'control_plane' && caV === null) {
    throw new ConfError('cluster_ca_cert is required when role = control_plane and cluster_mtls = pki', {
      field: 'cluster_ca_cert',
    });
  }
  const revocation = opts.revocation !== undefined ? opts.revocation : revocationFromConf(conf, logger);
  const serverName = conf.role === 'data_plane' ? expectedServerName(conf, opts.channel) : undefined;
  const build = (): ClusterTlsPolicy => {
    const certPem = currentPem(certV, 'cluster_cert');
    const keyPem = currentPem(keyV, 'cluster_cert_key');
    if (conf.cluster_mtls === 'shared') return createSharedTlsPolicy(certPem, keyPem);
    return createPkiTlsPolicy({
      certPem,
      keyPem,
      caPem: caV === null ? null : currentPem(caV, 'cluster_ca_cert'),
      serverName,
      revocation,
    });
  };
  const paths = [certV.path, keyV.path, caV?.path ?? null].filter((p): p is string => p !== null);
  if (paths.length === 0) return build();
  return createReloadingTlsPolicy({ build, paths, logger, pollIntervalMs: opts.pollIntervalMs });
}
