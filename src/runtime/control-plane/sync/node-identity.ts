import type { X509Certificate } from 'node:crypto';
import type { DataPlaneRegistry } from '../status/data-plane-registry.js';

/** The outcome of a DP's claim on a node_id. */
export type NodeClaim = { ok: true; release(): void } | { ok: false; reason: string };

/** Who may use which node_id on this CP's cluster listener. */
export interface NodeIdentityGuard {
  /**
   * Called for every upgrade before the DP may touch its row: `chain` is the verified client chain
   * (leaf first), `ip` the source address. A granted claim is released when the connection ends.
   */
  claim(id: string, ip: string, chain: readonly X509Certificate[]): NodeClaim;
  /** Stops following the registry. */
  stop(): void;
}

/**
 * The certificate identity a node_id is bound to in pki mode: the leaf's subject. Not its digest, so a
 * renewed certificate keeps the binding; not its issuer, so a CA rotation (the DP's new certificate
 * from the new root, test/pki/reload.test.ts) keeps it too. The chain was verified against
 * cluster_ca_cert already: every certificate a trusted CA issued for that subject is that DP.
 */
function certificateIdentity(leaf: X509Certificate | undefined): string | null {
  return leaf ? `subject=${leaf.subject.replace(/\n/g, ', ')}` : null;
}

/**
 * Binds node_ids to who uses them, so that one DP cannot take over another's status row.
 *
 * - `pki`: the subject of the first certificate that claims a node_id is remembered; while the registry
 *   holds a row for it (connected, or disconnected but not yet purged or removed by an
 *   administrator), a claim with another identity is refused. Removing the row (DELETE
 *   /clustering/data-planes/{id}) or its purge frees the id.
 * - `shared`: every DP holds the same certificate, so certificates say nothing; a node_id already
 *   connected from one source address is refused from another one while that connection lasts.
 *
 * Bindings are kept in this CP's memory: a restarted CP, or another CP sharing the store, binds anew.
 */
export function createNodeIdentityGuard(o: {
  mode: 'shared' | 'pki';
  dataPlanes: DataPlaneRegistry;
}): NodeIdentityGuard {
  const bound = new Map<string, string>();
  // node_id → source address → open connections from it.
  const active = new Map<string, Map<string, number>>();
  const onRemoved = (id: string) => void bound.delete(id);
  o.dataPlanes.on('removed', onRemoved);

  const hold = (id: string, ip: string): (() => void) => {
    const from = active.get(id) ?? new Map<string, number>();
    from.set(ip, (from.get(ip) ?? 0) + 1);
    active.set(id, from);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (from.get(ip) ?? 1) - 1;
      if (n > 0) from.set(ip, n);
      else from.delete(ip);
      if (from.size === 0 && active.get(id) === from) active.delete(id);
    };
  };

  return {
    claim(id, ip, chain) {
      if (o.mode === 'pki') {
        const who = certificateIdentity(chain[0]);
        if (who === null) return { ok: false, reason: 'no client certificate to bind the node_id to' };
        const owner = bound.get(id);
        if (owner !== undefined && owner !== who && o.dataPlanes.get(id) !== undefined) {
          return {
            ok: false,
            reason: `node_id ${id} is bound to another certificate (${owner}); presented ${who}`,
          };
        }
        bound.set(id, who);
        return { ok: true, release: hold(id, ip) };
      }
      const elsewhere = [...(active.get(id)?.keys() ?? [])].find((other) => other !== ip);
      if (elsewhere !== undefined) {
        return { ok: false, reason: `node_id ${id} is already connected from ${elsewhere}` };
      }
      return { ok: true, release: hold(id, ip) };
    },
    stop: () => void o.dataPlanes.off('removed', onRemoved),
  };
}
