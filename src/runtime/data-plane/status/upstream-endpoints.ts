import type { ConfigEntity, ConfigState, TargetHealth } from '../engine/types.js';

/** A status API answer: HTTP status and JSON body. */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

const NOT_FOUND: JsonAnswer = { status: 404, body: { message: 'Not found' } };

function findUpstream(state: ConfigState, key: string): ConfigEntity | undefined {
  const byName = state.upstreams.get(key);
  if (byName !== undefined) return byName;
  for (const u of state.upstreams.values()) if (u.id === key) return u;
  return undefined;
}

function targetsOf(state: ConfigState, upstream: ConfigEntity): ConfigEntity[] {
  return (state.config.targets ?? []).filter(
    (t) => (t.upstream as { id?: string } | undefined)?.id === upstream.id,
  );
}

/**
 * The DP's read-only upstream endpoints, in Kong's shapes (seed 002): `/upstreams/{u}/targets`
 * (targets with weight > 0), `/targets/all` (every target), `/targets/{t}` (by id or `host:port`) and
 * `/health` (targets with their health; `?balancer_health=1` for the upstream's own).
 * `segments` is the path split after `upstreams`.
 */
export function answerUpstreams(
  state: ConfigState | null,
  segments: string[],
  query: URLSearchParams,
  nodeId: string | null,
): JsonAnswer {
  if (state === null || segments.length < 2) return NOT_FOUND;
  const upstream = findUpstream(state, decodeURIComponent(segments[0]!));
  if (upstream === undefined) return NOT_FOUND;
  const targets = targetsOf(state, upstream);
  const [, resource, sub] = segments;
  if (resource === 'targets' && segments.length === 2) {
    return { status: 200, body: { data: targets.filter((t) => Number(t.weight ?? 100) > 0), next: null } };
  }
  if (resource === 'targets' && sub === 'all' && segments.length === 3)
    return { status: 200, body: { data: targets, next: null } };
  if (resource === 'targets' && sub !== undefined && segments.length === 3) {
    const key = decodeURIComponent(sub);
    const t = targets.find((x) => x.id === key || x.target === key);
    return t === undefined ? NOT_FOUND : { status: 200, body: t };
  }
  if (resource === 'health' && segments.length === 2) {
    const balancer = state.balancers.get(String(upstream.name));
    const health = new Map<string, TargetHealth>();
    for (const h of balancer?.health?.() ?? []) health.set(h.id, h);
    const rows = targets.map((t) => ({ ...t, health: health.get(t.id)?.health ?? 'HEALTHCHECKS_OFF' }));
    if (query.get('balancer_health') === '1') {
      const own = balancer?.balancerHealth?.();
      if (own !== undefined)
        return { status: 200, body: { data: { id: upstream.id, health: own }, next: null } };
      const states = rows.filter((r) => Number((r as ConfigEntity).weight ?? 100) > 0).map((r) => r.health);
      const anyChecks = states.some((s) => s !== 'HEALTHCHECKS_OFF');
      const healthy = states.some((s) => s === 'HEALTHY' || s === 'HEALTHCHECKS_OFF');
      return {
        status: 200,
        body: {
          data: {
            id: upstream.id,
            health: !anyChecks ? 'HEALTHCHECKS_OFF' : healthy ? 'HEALTHY' : 'UNHEALTHY',
          },
          next: null,
        },
      };
    }
    return { status: 200, body: { data: rows, next: null, node_id: nodeId, total: rows.length } };
  }
  return NOT_FOUND;
}
