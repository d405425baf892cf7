import { z } from 'zod';
import type { EntityDefinition, ValidationContext } from './definition.js';
import { baseFields, foreignKey, host, intBetween, nullable, tags, utf8Name, uuid } from './fields.js';

/** Protocols a service can speak to its upstream (Kong's `protocol` one_of). */
export const SERVICE_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;

// Kong only lets a service carry a path when it proxies HTTP-like traffic.
const PATH_PROTOCOLS = new Set(['http', 'https', 'ws', 'wss']);
// Upstream TLS client settings make sense only when Kong itself originates the TLS session.
const TLS_PROTOCOLS = new Set(['https', 'tls', 'wss']);
const TLS_FIELDS = ['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates'] as const;

const timeout = () => intBetween(1, 2147483646).default(60000);

const servicePath = () =>
  z
    .string()
    .min(1, { error: 'length must be at least 1' })
    .refine((p) => p.startsWith('/'), { error: 'should start with: /' })
    .refine((p) => !/%(?![0-9a-fA-F]{2})/.test(p), { error: 'invalid url-encoded value' });

const schema = z
  .strictObject({
    ...baseFields(),
    name: nullable(utf8Name()),
    tags: tags(),
    protocol: z.enum(SERVICE_PROTOCOLS).default('http'),
    host: host(),
    port: intBetween(0, 65535).default(80),
    path: nullable(servicePath()),
    retries: intBetween(0, 32767).default(5),
    connect_timeout: timeout(),
    write_timeout: timeout(),
    read_timeout: timeout(),
    client_certificate: nullable(foreignKey()),
    tls_verify: nullable(z.boolean()),
    tls_verify_depth: nullable(intBetween(0, 64)),
    ca_certificates: nullable(z.array(uuid())),
    enabled: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if (s.path !== null && !PATH_PROTOCOLS.has(s.protocol)) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'value must be null' });
    }
    if (!TLS_PROTOCOLS.has(s.protocol)) {
      for (const f of TLS_FIELDS) {
        if (s[f] !== null) ctx.addIssue({ code: 'custom', path: [f], message: 'value must be null' });
      }
    }
  });

// Default ports per scheme when a `url` shorthand omits the port (Kong: http 80, https 443).
const SCHEME_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, grpc: 80, grpcs: 443 };

/**
 * Expands Kong's `url` shorthand into protocol/host/port/path; `url` itself is never stored. On an
 * update, the url replaces all four fields (an omitted path becomes null), as Kong's shorthand does.
 */
export function expandServiceUrl(input: Record<string, unknown>, ctx: ValidationContext): Record<string, unknown> {
  if (!('url' in input)) return input;
  const { url, ...rest } = input;
  if (url === null || url === undefined) return rest;
  if (typeof url !== 'string') {
    ctx.addIssue(['url'], 'expected a string');
    return rest;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    ctx.addIssue(['url'], `invalid url: ${url}`);
    return rest;
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  const hostName = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostName === '') {
    ctx.addIssue(['url'], `missing host in url: ${url}`);
    return rest;
  }
  // URL normalises "http://h" to pathname "/"; Kong keeps no path unless one was written.
  const afterAuthority = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const rawPath = afterAuthority.split(/[?#]/)[0] ?? '';
  const port = parsed.port !== '' ? Number(parsed.port) : (SCHEME_PORTS[protocol] ?? rest.port ?? 80);
  return { ...rest, protocol, host: hostName, port, path: rawPath === '' ? null : parsed.pathname };
}

/** Kong's `services`: an upstream API that routes forward to. */
export const servicesDefinition: EntityDefinition = {
  name: 'services',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: ['name'],
  endpointKey: 'name',
  foreignKeys: [{ field: 'client_certificate', references: 'certificates', onDelete: 'restrict' }],
  tags: true,
  prepare: expandServiceUrl,
};
