import type { Balancer, ConfigEntity, Peer, PickContext, TargetHealth } from './types.js';

/** Splits a target's `host[:port]` (IPv6 in brackets); Kong's default target port is 8000. */
export function parseTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const close = target.indexOf(']');
    const port = target.charCodeAt(close + 1) === 58 ? Number(target.slice(close + 2)) : 8000;
    return { host: target.slice(1, close), port };
  }
  const colon = target.lastIndexOf(':');
  if (colon < 0) return { host: target, port: 8000 };
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

/**
 * A weighted round-robin balancer without health checks, used until (or unless) the balancer area
 * provides a factory. Smooth weighted round-robin (nginx's algorithm) spreads heavy targets evenly
 * instead of in bursts. Targets of weight 0 are never picked.
 */
export function createRoundRobinBalancer(upstream: ConfigEntity, targets: ConfigEntity[]): Balancer {
  const peers = targets
    .filter((t) => Number(t.weight ?? 100) > 0)
    .map((t) => {
      const { host, port } = parseTarget(String(t.target));
      return {
        peer: { host, port, id: t.id, target: String(t.target) } as Peer,
        weight: Number(t.weight ?? 100),
        current: 0,
      };
    });
  const total = peers.reduce((s, p) => s + p.weight, 0);
  void upstream;
  return {
    pick(ctx: PickContext): Peer | null {
      if (peers.length === 0) return null;
      for (let attempt = 0; attempt < peers.length; attempt++) {
        let best = peers[0]!;
        for (const p of peers) {
          p.current += p.weight;
          if (p.current > best.current) best = p;
        }
        best.current -= total;
        if (!ctx.tried.some((t) => t.host === best.peer.host && t.port === best.peer.port)) return best.peer;
      }
      return peers[0]!.peer;
    },
    health(): TargetHealth[] {
      return targets.map((t) => ({
        id: t.id,
        target: String(t.target),
        weight: Number(t.weight ?? 100),
        health: 'HEALTHCHECKS_OFF',
      }));
    },
  };
}
