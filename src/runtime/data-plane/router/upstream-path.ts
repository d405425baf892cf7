/**
 * Joins a service's path with the request's (possibly stripped) path the way Kong does it.
 * v0 joins with exactly one `/` between the parts; v1 (deprecated in Kong) concatenates the service path
 * with the remainder minus its leading `/`, which gives `/s` + `/x` → `/sx`.
 */
export function joinUpstreamPath(
  servicePath: string | null | undefined,
  rest: string,
  handling: 'v0' | 'v1',
): string {
  const base = servicePath === null || servicePath === undefined || servicePath === '' ? '/' : servicePath;
  if (rest === '') return base;
  const restHasSlash = rest.charCodeAt(0) === 47;
  if (handling === 'v1') return base + (restHasSlash ? rest.slice(1) : rest);
  const baseHasSlash = base.charCodeAt(base.length - 1) === 47;
  if (baseHasSlash) return restHasSlash ? base + rest.slice(1) : base + rest;
  return restHasSlash ? base + rest : base + '/' + rest;
}
