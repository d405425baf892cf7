import type { X509Certificate } from 'node:crypto';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';

/** Close code for a DP whose certificate the reloaded trust no longer accepts. */
export const CERTIFICATE_REJECTED_CLOSE_CODE = 4006;

/** A connection whose certificate can be judged again. */
export interface RevalidatedSession {
  readonly chain: readonly X509Certificate[];
  readonly nodeId: string;
  isOpen(): boolean;
  close(code: number, reason: string): void;
}

/**
 * After the CP reloads its certificates, judges every established DP connection again. A DP that the
 * new trust refuses gets `graceMs` to come back by itself with a new certificate (its own Secret may
 * update a little later); if its connection is still the old one then, it is closed with 4006 so that
 * no DP stays linked with a certificate the CP would now reject. Returns the stop function.
 */
export function revalidateOnReload(o: {
  tls: ClusterTlsPolicy;
  sessions: () => Iterable<RevalidatedSession>;
  graceMs: number;
  logger: Logger;
}): () => void {
  if (!o.tls.onReload) return () => undefined;
  const timers = new Set<NodeJS.Timeout>();
  const judge = async (s: RevalidatedSession): Promise<string | null> => {
    try {
      const v = await o.tls.verifyClient(s.chain);
      return v.ok ? null : v.reason;
    } catch (err) {
      return errorMessage(err);
    }
  };
  const unsubscribe = o.tls.onReload(() => {
    for (const s of o.sessions()) {
      void judge(s).then((reason) => {
        if (reason === null || !s.isOpen()) return;
        o.logger.warn(
          { node_id: s.nodeId, reason, grace_ms: o.graceMs },
          'data plane certificate is no longer accepted after the certificate reload, closing unless it reconnects',
        );
        const t = setTimeout(() => {
          timers.delete(t);
          if (!s.isOpen()) return;
          void judge(s).then((still) => {
            if (still !== null && s.isOpen())
              s.close(CERTIFICATE_REJECTED_CLOSE_CODE, `certificate no longer accepted: ${still}`);
          });
        }, o.graceMs);
        t.unref();
        timers.add(t);
      });
    }
  });
  return () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
}
