import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { headerName, opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** Kong's default for `methods`: every method a preflight may ask for. */
export const CORS_DEFAULT_METHODS = [
  'GET',
  'HEAD',
  'PUT',
  'PATCH',
  'POST',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
] as const;

/** cors: answers preflight requests and adds Access-Control-* headers. */
export const corsSchema: PluginSchema = {
  name: 'cors',
  version: HYBRIDGATE_VERSION,
  priority: 2000,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: z.strictObject({
    // Origins are literal strings or regexes (Kong: anything that is not a plain origin is a regex).
    origins: opt(z.array(z.string())),
    headers: opt(z.array(headerName())),
    exposed_headers: opt(z.array(headerName())),
    methods: z.array(z.enum(CORS_DEFAULT_METHODS)).default([...CORS_DEFAULT_METHODS]),
    max_age: opt(z.number()),
    credentials: z.boolean().default(false),
    private_network: z.boolean().default(false),
    preflight_continue: z.boolean().default(false),
  }),
};
