import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { headerName, opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** key-auth: authenticates a consumer by an API key found in a header, the query string or the body. */
export const keyAuthSchema: PluginSchema = {
  name: 'key-auth',
  version: HYBRIDGATE_VERSION,
  priority: 1250,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: z.strictObject({
    key_names: z.array(headerName()).min(1, { error: 'length must be at least 1' }).default(['apikey']),
    hide_credentials: z.boolean().default(false),
    // The id or username of the consumer to use when authentication fails (Kong: a string, not an FK).
    anonymous: opt(z.string()),
    key_in_header: z.boolean().default(true),
    key_in_query: z.boolean().default(true),
    key_in_body: z.boolean().default(false),
    run_on_preflight: z.boolean().default(true),
  }),
};
