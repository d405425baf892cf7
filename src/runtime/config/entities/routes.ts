import { z } from 'zod';
import type { EntityDefinition } from './definition.js';
import { baseFields, foreignKey, intBetween, isHostname, isIPv4, isIPv6, nullable, tags, utf8Name } from './fields.js';
import { routePathError } from './route-path.js';

/** Protocols a route can accept (Kong's `protocols` elements). */
export const ROUTE_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;

// Kong routes one traffic kind per route: these protocol groups never mix.
const PROTOCOL_GROUPS = [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs'], ['ws', 'wss']];
const SNI_PROTOCOLS = new Set(['https', 'grpcs', 'tls', 'tls_passthrough', 'wss']);
const STREAM_PROTOCOLS = new Set(['tcp', 'tls', 'udp', 'tls_passthrough']);

/** Why a route host is invalid (Kong's `typedefs.wildcard_host` with optional port), or null. */
export function routeHostError(value: string): string | null {
  let hostPart = value;
  const portMatch = /^(.*?):(\d+)$/.exec(value);
  if (portMatch && !value.startsWith('[')) {
    hostPart = portMatch[1] as string;
    if (Number(portMatch[2]) > 65535) return `invalid port number: ${value}`;
  }
  if (/^\[.*\](:\d+)?$/.test(value)) {
    return isIPv6(value.replace(/^\[(.*)\](:\d+)?$/, '$1')) ? null : `invalid value: ${value}`;
  }
  const stars = hostPart.split('*').length - 1;
  if (stars > 1) return 'only one wildcard must be specified';
  if (stars === 1) {
    const labels = hostPart.split('.');
    const first = labels[0];
    const last = labels[labels.length - 1];
    if (labels.length < 2 || (first !== '*' && last !== '*')) {
      return 'invalid wildcard: must be placed at leftmost or rightmost label';
    }
    hostPart = labels.map((l) => (l === '*' ? 'wildcard' : l)).join('.');
  }
  return isHostname(hostPart) || isIPv4(hostPart) ? null : `invalid value: ${value}`;
}

const routeHost = () =>
  z.string().check((ctx) => {
    const err = routeHostError(ctx.value);
    if (err !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: err });
  });

const routePath = () =>
  z.string().check((ctx) => {
    const err = routePathError(ctx.value);
    if (err !== null) ctx.issues.push({ code: 'custom', input: ctx.value, message: err });
  });

const method = () => z.string().regex(/^[A-Z]+$/, { error: (iss) => `invalid value: ${String(iss.input)}` });

const headerName = () =>
  z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (iss) => `bad header name '${String(iss.input)}'` })
    .refine((n) => n.toLowerCase() !== 'host', {
      error: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
    });

const cidrPort = () =>
  z.strictObject({
    ip: nullable(z.string().refine((s) => isIPv4(s.split('/')[0] ?? '') || isIPv6(s.split('/')[0] ?? ''), {
      error: 'invalid ip or cidr range',
    })),
    port: nullable(intBetween(0, 65535)),
  });

const sni = () =>
  z.string().refine((s) => isHostname(s.replace(/^\*\./, 'w.').replace(/\.\*$/, '.w')), {
    error: (iss) => `invalid value: ${String(iss.input)}`,
  });

const set = <T extends z.ZodType>(el: T) => nullable(z.array(el));

const schema = z
  .strictObject({
    ...baseFields(),
    name: nullable(utf8Name()),
    tags: tags(),
    protocols: z
      .array(z.enum(ROUTE_PROTOCOLS))
      .min(1, { error: 'length must be at least 1' })
      .default(['http', 'https']),
    methods: set(method()),
    hosts: set(routeHost()),
    paths: set(routePath()),
    headers: nullable(z.record(headerName(), z.array(z.string()).min(1, { error: 'length must be at least 1' }))),
    snis: set(sni()),
    sources: set(cidrPort()),
    destinations: set(cidrPort()),
    https_redirect_status_code: z.literal([426, 301, 302, 307, 308]).default(426),
    regex_priority: z.int().default(0),
    strip_path: z.boolean().default(true),
    path_handling: z.enum(['v0', 'v1']).default('v0'),
    preserve_host: z.boolean().default(false),
    request_buffering: z.boolean().default(true),
    response_buffering: z.boolean().default(true),
    service: nullable(foreignKey()),
  })
  .superRefine((r, ctx) => {
    const protocols = new Set<string>(r.protocols);
    const groups = PROTOCOL_GROUPS.filter((g) => g.some((p) => protocols.has(p)));
    if (groups.length > 1) {
      const list = PROTOCOL_GROUPS.map((g) => `(${g.map((p) => `'${p}'`).join(', ')})`).join(', ');
      ctx.addIssue({ code: 'custom', path: ['protocols'], message: `these sets are mutually exclusive: ${list}` });
      return;
    }
    const has = (f: 'methods' | 'hosts' | 'paths' | 'snis' | 'sources' | 'destinations') =>
      r[f] !== null && r[f].length > 0;
    const hasHeaders = r.headers !== null && Object.keys(r.headers).length > 0;
    const list = [...protocols].sort().map((p) => `'${p}'`).join(', ');
    if (has('snis') && ![...protocols].some((p) => SNI_PROTOCOLS.has(p))) {
      ctx.addIssue({
        code: 'custom',
        path: ['snis'],
        message: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls', 'tls_passthrough' or 'wss'",
      });
    }
    if ([...protocols].some((p) => STREAM_PROTOCOLS.has(p))) {
      for (const f of ['methods', 'hosts', 'paths'] as const) {
        if (has(f)) ctx.addIssue({ code: 'custom', path: [f], message: `cannot set '${f}' when 'protocols' is ${list}` });
      }
      if (hasHeaders) ctx.addIssue({ code: 'custom', path: ['headers'], message: `cannot set 'headers' when 'protocols' is ${list}` });
      const needed = protocols.has('tls_passthrough') ? ['snis'] : ['sources', 'destinations', 'snis'];
      if (!needed.some((f) => has(f as 'snis'))) {
        const names = needed.map((f) => `'${f}'`).join(', ');
        ctx.addIssue({ code: 'custom', path: [], message: `must set one of ${names} when 'protocols' is ${list}` });
      }
      return;
    }
    for (const f of ['sources', 'destinations'] as const) {
      if (has(f)) ctx.addIssue({ code: 'custom', path: [f], message: `cannot set '${f}' when 'protocols' is ${list}` });
    }
    const grpc = protocols.has('grpc') || protocols.has('grpcs');
    if (grpc && has('methods')) {
      ctx.addIssue({ code: 'custom', path: ['methods'], message: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" });
    }
    const candidates = grpc ? ['hosts', 'headers', 'paths'] : ['methods', 'hosts', 'headers', 'paths'];
    if (protocols.has('https') || protocols.has('grpcs') || protocols.has('wss')) candidates.push('snis');
    const any = candidates.some((f) => (f === 'headers' ? hasHeaders : has(f as 'methods')));
    if (!any) {
      const names = candidates.map((f) => `'${f}'`).join(', ');
      ctx.addIssue({ code: 'custom', path: [], message: `must set one of ${names} when 'protocols' is ${list}` });
    }
  });

/** Kong's `routes`: the matching rules that select a service for a request. */
export const routesDefinition: EntityDefinition = {
  name: 'routes',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: ['name'],
  endpointKey: 'name',
  foreignKeys: [{ field: 'service', references: 'services', onDelete: 'restrict' }],
  tags: true,
};
