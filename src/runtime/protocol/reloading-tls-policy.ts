import type { X509Certificate } from 'node:crypto';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { fingerprintFiles, watchPemFiles, type PemFileWatcher } from './pem-file-watcher.js';
import type { ClusterTlsPolicy, PeerVerdict } from './tls-policy.js';

/** How a reloading policy is made. */
export interface ReloadingTlsPolicyOptions {
  /** Builds the policy from the files as they are now (reads them itself); throws on bad material. */
  build: () => ClusterTlsPolicy;
  /** The files behind cluster_cert, cluster_cert_key and cluster_ca_cert that have a path. */
  paths: readonly string[];
  logger: Logger;
  pollIntervalMs?: number;
  settleMs?: number;
}

/**
 * A ClusterTlsPolicy whose material follows its files (issue 5, certificate reload). Every method
 * delegates to the policy built from the newest good files; a rotation that is caught half-written
 * (certificate and key not matching yet) keeps the previous policy and is retried on the next change.
 * Files are watched only while someone is subscribed through onReload (listener, DP client).
 */
export function createReloadingTlsPolicy(opts: ReloadingTlsPolicyOptions): ClusterTlsPolicy {
  // Taken before the build, so a change that lands while building is seen by the first check.
  let fingerprint = fingerprintFiles(opts.paths);
  let current = opts.build();
  const listeners = new Set<() => void>();
  let watcher: PemFileWatcher | null = null;
  const log = opts.logger;

  const reload = () => {
    fingerprint = fingerprintFiles(opts.paths);
    let next: ClusterTlsPolicy;
    try {
      next = opts.build();
    } catch (err) {
      log.warn(
        { err: errorMessage(err), paths: opts.paths },
        'cluster certificate files changed but cannot be used yet, keeping the previous ones',
      );
      return;
    }
    current = next;
    log.info({ paths: opts.paths }, 'cluster certificate files reloaded');
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'certificate reload listener failed');
      }
    }
  };

  return {
    get mode() {
      return current.mode;
    },
    serverOptions: () => current.serverOptions(),
    verifyClient: (chain: readonly X509Certificate[]): PeerVerdict | Promise<PeerVerdict> =>
      current.verifyClient(chain),
    clientOptions: () => current.clientOptions(),
    verifyServer: (chain) => current.verifyServer(chain),
    onReload(listener) {
      listeners.add(listener);
      watcher ??= watchPemFiles({
        paths: opts.paths,
        pollIntervalMs: opts.pollIntervalMs,
        settleMs: opts.settleMs,
        initialFingerprint: fingerprint,
        onChange: reload,
        onWatchError: (dir, err) =>
          log.warn({ dir, err }, 'unable to watch certificate directory, relying on polling'),
      });
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && watcher) {
          watcher.close();
          watcher = null;
        }
      };
    },
  };
}
