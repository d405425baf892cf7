import type { RouterRoute, RouterService } from './types.js';

/**
 * A deterministic config of `n` routes shaped like real ones (a host per 10 routes, prefix paths, one
 * regex route in 50, a host-less regex route in 97, some method and header rules), used by the scale test and the benchmark so that
 * both measure the same thing.
 */
export function syntheticRoutes(n: number): { routes: RouterRoute[]; services: RouterService[] } {
  const services: RouterService[] = [];
  const routes: RouterRoute[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) services.push({ id: `s${i / 10}`, host: `up${i / 10}.internal`, port: 80, path: null });
    const host = `h${Math.floor(i / 10)}.example.com`;
    const base: RouterRoute = { id: `r${i}`, service: { id: `s${Math.floor(i / 10)}` }, created_at: i };
    if (i % 50 === 49) routes.push({ ...base, hosts: [host], paths: [`~/items/${i}/(?<id>\\d+)$`] });
    else if (i % 97 === 96) routes.push({ ...base, paths: [`~/re/${i}/\\d+$`] });
    else if (i % 7 === 0)
      routes.push({ ...base, hosts: [host], paths: [`/api/v${i}`], methods: ['GET', 'POST'] });
    else if (i % 11 === 0)
      routes.push({ ...base, paths: [`/global/${i}`], headers: { 'x-tenant': [`t${i}`] } });
    else routes.push({ ...base, hosts: [host], paths: [`/api/v${i}`] });
  }
  return { routes, services };
}

/** Requests that each match a known route of `syntheticRoutes(n)`: [request fields, expected id]. */
export function syntheticRequests(
  n: number,
  count: number,
): { host: string; path: string; method: string; headers: Record<string, string>; expected: string }[] {
  const out: {
    host: string;
    path: string;
    method: string;
    headers: Record<string, string>;
    expected: string;
  }[] = [];
  for (let k = 0; k < count; k++) {
    const i = (k * 7919) % n;
    const host = `h${Math.floor(i / 10)}.example.com`;
    if (i % 50 === 49)
      out.push({ host, path: `/items/${i}/${k}`, method: 'GET', headers: {}, expected: `r${i}` });
    else if (i % 97 === 96)
      out.push({ host: 'any.test', path: `/re/${i}/${k}`, method: 'GET', headers: {}, expected: `r${i}` });
    else if (i % 7 === 0)
      out.push({ host, path: `/api/v${i}/x`, method: 'POST', headers: {}, expected: `r${i}` });
    else if (i % 11 === 0)
      out.push({
        host: 'any.test',
        path: `/global/${i}/y`,
        method: 'GET',
        headers: { 'x-tenant': `t${i}` },
        expected: `r${i}`,
      });
    else out.push({ host, path: `/api/v${i}/z/${k}`, method: 'GET', headers: {}, expected: `r${i}` });
  }
  return out;
}
