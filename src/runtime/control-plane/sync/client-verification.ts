import type { X509Certificate } from 'node:crypto';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { peerCertificateChain, type ClusterTlsPolicy, type PeerVerdict } from '../../protocol/tls-policy.js';

/** The verdicts of one listener's connections, for its upgrade handler. */
export interface ClientVerification {
  /** Verifies the handshakes of one more server. */
  attach(server: Server): void;
  /**
   * The verdict on the socket's DP certificate, waiting for an OCSP answer when one is pending. Resolves
   * null when the DP was refused (the socket is destroyed and the reason logged already).
   */
  verdict(socket: Socket): Promise<{ expiry: number | null } | null>;
  /** The chain the socket's DP presented (empty when unknown). */
  chain(socket: Socket): X509Certificate[];
}

/**
 * Verifies every DP that completes a handshake on the attached servers with the policy (after the handshake, so
 * the refusal is logged with its reason, as Kong checks in the content phase and closes with 444).
 */
export function attachClientVerification(
  tls: ClusterTlsPolicy,
  log: Logger,
  what = 'data plane',
): ClientVerification {
  const verdicts = new WeakMap<Socket, Promise<PeerVerdict>>();
  const chains = new WeakMap<Socket, X509Certificate[]>();
  const onSecure = (sock: TLSSocket) => {
    let result: PeerVerdict | Promise<PeerVerdict>;
    try {
      const chain = peerCertificateChain(sock);
      chains.set(sock, chain);
      result = tls.verifyClient(chain);
    } catch (err) {
      result = { ok: false, reason: errorMessage(err) };
    }
    const p = Promise.resolve(result).catch((err: unknown): PeerVerdict => ({
      ok: false,
      reason: errorMessage(err),
    }));
    verdicts.set(sock, p);
    void p.then((v) => {
      if (v.ok) return;
      log.warn(
        { ip: sock.remoteAddress, reason: v.reason },
        `${what} presented incorrect client certificate during handshake`,
      );
      sock.destroy();
    });
  };
  return {
    attach: (server) => void server.on('secureConnection', onSecure),
    chain: (socket) => chains.get(socket) ?? [],
    async verdict(socket) {
      const v = await (verdicts.get(socket) ??
        Promise.resolve<PeerVerdict>({ ok: false, reason: 'no handshake seen' }));
      return v.ok && !socket.destroyed ? { expiry: v.expiry } : null;
    },
  };
}

/**
 * Applies reloaded certificate material to `servers` (tls.Server.setSecureContext): new handshakes use
 * it at once, established connections are left alone. Returns the unsubscribe.
 */
export function followCertificateReloads(
  servers: readonly Server[],
  tls: ClusterTlsPolicy,
  log: Logger,
): () => void {
  if (!tls.onReload) return () => undefined;
  return tls.onReload(() => {
    try {
      const options = tls.serverOptions();
      for (const s of servers) s.setSecureContext(options);
      log.info({ listeners: servers.length }, 'listener now serves the reloaded cluster certificate');
    } catch (err) {
      log.error(
        { err: errorMessage(err) },
        'unable to apply the reloaded cluster certificate, keeping the previous one',
      );
    }
  });
}
