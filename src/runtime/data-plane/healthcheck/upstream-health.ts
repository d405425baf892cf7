/**
 * The bodies of Kong's `GET /upstreams/{u}/health` as this node sees them, built from a balancer's
 * health() so the status API only routes and serialises.
 */
import type { TargetHealth, TargetHealthState } from '../balancer/balancer.js';

/** What the status API passes in: the upstream entity, its balancer and the node's id. */
export interface UpstreamHealthInput {
  upstream: { id: string } & Record<string, unknown>;
  /** The upstream's target entities by id (created_at/updated_at/tags come from them). */
  targets: ReadonlyMap<string, Record<string, unknown>>;
  balancer: { health(): TargetHealth[]; balancerHealth?(): TargetHealthState } | null;
  nodeId: string;
}

/** Kong's per-target body: `{data: [...], total, node_id, next: null}`. */
export function upstreamHealthBody(input: UpstreamHealthInput): Record<string, unknown> {
  const rows = input.balancer?.health() ?? [];
  const data = rows.map((t) => {
    const e = input.targets.get(t.id) ?? {};
    return {
      id: t.id,
      created_at: e.created_at ?? null,
      updated_at: e.updated_at ?? null,
      tags: e.tags ?? null,
      upstream: { id: input.upstream.id },
      target: t.target,
      weight: t.weight,
      health: t.health,
      data: {
        addresses: (t.addresses ?? []).map((a) => ({
          ip: a.ip,
          port: a.port,
          health: a.health,
          weight: a.weight,
        })),
      },
    };
  });
  return { data, total: data.length, node_id: input.nodeId, next: null };
}

/** Kong's `?balancer_health=1` body: the upstream as a whole. */
export function balancerHealthBody(input: UpstreamHealthInput): Record<string, unknown> {
  const rows = input.balancer?.health() ?? [];
  let health: TargetHealthState;
  if (input.balancer?.balancerHealth !== undefined) health = input.balancer.balancerHealth();
  else if (rows.length > 0 && rows.every((r) => r.health === 'HEALTHCHECKS_OFF')) health = 'HEALTHCHECKS_OFF';
  else
    health = rows.some((r) => r.health === 'HEALTHY' || r.health === 'HEALTHCHECKS_OFF')
      ? 'HEALTHY'
      : 'UNHEALTHY';
  let total = 0;
  let available = 0;
  for (const r of rows) {
    total += r.weight;
    if (r.health === 'HEALTHY' || r.health === 'HEALTHCHECKS_OFF') available += r.weight;
  }
  return {
    data: {
      id: input.upstream.id,
      health,
      details: { weight: { total, available, unavailable: total - available } },
    },
    node_id: input.nodeId,
    next: null,
  };
}
