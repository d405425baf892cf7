import { z } from 'zod';
import type { EntityDefinition } from './definition.js';
import { baseFields, foreignKey, hostname, host, intBetween, nullable, tags } from './fields.js';
import { headerName } from '../../plugins/fields.js';

/** Load-balancing algorithms (Kong 3.x). */
export const UPSTREAM_ALGORITHMS = ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const;
/** What consistent hashing hashes on. */
export const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;

const statuses = (defaults: number[]) => z.array(intBetween(100, 999)).default(defaults);
const counter = () => intBetween(0, 255).default(0);
const interval = () => z.number().min(0, { error: 'value should be between 0 and 65535' }).max(65535, { error: 'value should be between 0 and 65535' }).default(0);

// Kong's healthchecks defaults, nested records filled field by field (prefault feeds {} through the inner defaults).
const healthchecks = () =>
  z
    .strictObject({
      active: z
        .strictObject({
          type: z.enum(['tcp', 'http', 'https', 'grpc', 'grpcs']).default('http'),
          timeout: z.number().min(0, { error: 'value should be between 0 and 65535' }).max(65535, { error: 'value should be between 0 and 65535' }).default(1),
          concurrency: intBetween(1, 2147483648).default(10),
          http_path: z.string().startsWith('/', { error: 'should start with: /' }).default('/'),
          headers: nullable(z.record(headerName(), z.array(z.string()))),
          https_sni: nullable(host()),
          https_verify_certificate: z.boolean().default(true),
          healthy: z
            .strictObject({ interval: interval(), http_statuses: statuses([200, 302]), successes: counter() })
            .prefault({}),
          unhealthy: z
            .strictObject({
              interval: interval(),
              http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
              tcp_failures: counter(),
              timeouts: counter(),
              http_failures: counter(),
            })
            .prefault({}),
        })
        .prefault({}),
      passive: z
        .strictObject({
          type: z.enum(['tcp', 'http', 'https', 'grpc', 'grpcs']).default('http'),
          healthy: z
            .strictObject({
              http_statuses: statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
              successes: counter(),
            })
            .prefault({}),
          unhealthy: z
            .strictObject({
              http_statuses: statuses([429, 500, 503]),
              tcp_failures: counter(),
              timeouts: counter(),
              http_failures: counter(),
            })
            .prefault({}),
        })
        .prefault({}),
      threshold: z.number().min(0, { error: 'value should be between 0 and 100' }).max(100, { error: 'value should be between 0 and 100' }).default(0),
    })
    .prefault({});

const hashKind = () => z.enum(HASH_ON);

const schema = z
  .strictObject({
    ...baseFields(),
    name: hostname(),
    tags: tags(),
    algorithm: z.enum(UPSTREAM_ALGORITHMS).default('round-robin'),
    hash_on: hashKind().default('none'),
    hash_fallback: hashKind().default('none'),
    hash_on_header: nullable(headerName()),
    hash_fallback_header: nullable(headerName()),
    hash_on_cookie: nullable(z.string()),
    hash_on_cookie_path: z.string().startsWith('/', { error: 'should start with: /' }).default('/'),
    hash_on_query_arg: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    hash_fallback_query_arg: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    hash_on_uri_capture: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    hash_fallback_uri_capture: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    slots: intBetween(10, 65536).default(10000),
    healthchecks: healthchecks(),
    host_header: nullable(host()),
    client_certificate: nullable(foreignKey()),
    use_srv_name: z.boolean().default(false),
  })
  .superRefine((u, ctx) => {
    const need = (when: boolean, field: keyof typeof u) => {
      if (when && u[field] === null) ctx.addIssue({ code: 'custom', path: [field], message: 'required field missing' });
    };
    need(u.hash_on === 'header', 'hash_on_header');
    need(u.hash_fallback === 'header', 'hash_fallback_header');
    need(u.hash_on === 'cookie' || u.hash_fallback === 'cookie', 'hash_on_cookie');
    need(u.hash_on === 'query_arg', 'hash_on_query_arg');
    need(u.hash_fallback === 'query_arg', 'hash_fallback_query_arg');
    need(u.hash_on === 'uri_capture', 'hash_on_uri_capture');
    need(u.hash_fallback === 'uri_capture', 'hash_fallback_uri_capture');
    // A fallback only makes sense when the primary can miss; cookies are set by Kong so never miss.
    if ((u.hash_on === 'none' || u.hash_on === 'cookie') && u.hash_fallback !== 'none') {
      ctx.addIssue({ code: 'custom', path: ['hash_fallback'], message: 'expected one of: none' });
    }
    const sameHeader = u.hash_on === 'header' && u.hash_fallback === 'header' && u.hash_on_header?.toLowerCase() === u.hash_fallback_header?.toLowerCase();
    if (u.hash_on !== 'none' && u.hash_on !== 'header' && u.hash_on === u.hash_fallback) {
      ctx.addIssue({ code: 'custom', path: [], message: "values of these fields must be distinct: 'hash_on', 'hash_fallback'" });
    } else if (sameHeader) {
      ctx.addIssue({ code: 'custom', path: [], message: "values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'" });
    }
  });

/** Kong's `upstreams`: a virtual hostname load-balanced over targets. */
export const upstreamsDefinition: EntityDefinition = {
  name: 'upstreams',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: ['name'],
  endpointKey: 'name',
  foreignKeys: [{ field: 'client_certificate', references: 'certificates', onDelete: 'restrict' }],
  tags: true,
};
