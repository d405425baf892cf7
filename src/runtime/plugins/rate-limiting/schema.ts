import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { atLeastOneOf, headerName, isSet, opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

const WINDOWS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

const limit = () => opt(z.number().gt(0, { error: 'value must be greater than 0' }));

/** rate-limiting: counts requests per window and key (consumer, ip, ...), answering 429 past a limit. */
export const rateLimitingSchema: PluginSchema = {
  name: 'rate-limiting',
  version: HYBRIDGATE_VERSION,
  priority: 910,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z
    .strictObject({
      second: limit(),
      minute: limit(),
      hour: limit(),
      day: limit(),
      month: limit(),
      year: limit(),
      limit_by: z.enum(['consumer', 'credential', 'ip', 'service', 'header', 'path']).default('consumer'),
      header_name: opt(headerName()),
      path: opt(z.string().startsWith('/', { error: 'should start with: /' })),
      // Counters live in each data plane's memory: there is no shared database on a DP (Kong #12260).
      policy: z
        .string()
        .default('local')
        .refine((p) => p === 'local', {
          error: (iss) =>
            ['cluster', 'redis'].includes(String(iss.input))
              ? `policy '${String(iss.input)}' is not supported: only 'local' is available on data planes without a database`
              : 'expected one of: local',
        }),
      fault_tolerant: z.boolean().default(true),
      hide_client_headers: z.boolean().default(false),
      sync_rate: z.number().default(-1),
      error_code: z.number().default(429),
      error_message: z.string().default('API rate limit exceeded'),
    })
    .superRefine((c, ctx) => {
      if (!WINDOWS.some((w) => isSet(c[w]))) {
        ctx.addIssue({ code: 'custom', path: [], message: atLeastOneOf(WINDOWS) });
        return;
      }
      if (c.limit_by === 'header' && c.header_name === null) {
        ctx.addIssue({ code: 'custom', path: ['header_name'], message: 'required field missing' });
      }
      if (c.limit_by === 'path' && c.path === null) {
        ctx.addIssue({ code: 'custom', path: ['path'], message: 'required field missing' });
      }
      // A longer window must allow at least as much as a shorter one, or the shorter limit is meaningless.
      let prev: (typeof WINDOWS)[number] | undefined;
      for (const w of WINDOWS) {
        const v = c[w];
        if (v === null) continue;
        const p = prev === undefined ? null : c[prev];
        if (prev !== undefined && p !== null && v < p) {
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: `the limit for ${w}(${v}) cannot be lower than the limit for ${prev}(${p})`,
          });
        }
        prev = w;
      }
    }),
};
