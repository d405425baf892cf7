import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** basic-auth: authenticates a consumer by username and password (Authorization: Basic). */
export const basicAuthSchema: PluginSchema = {
  name: 'basic-auth',
  version: HYBRIDGATE_VERSION,
  priority: 1100,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: z.strictObject({
    anonymous: opt(z.string()),
    hide_credentials: z.boolean().default(false),
    // Sent in WWW-Authenticate: Basic realm="<realm>".
    realm: z.string().default('service'),
  }),
};
