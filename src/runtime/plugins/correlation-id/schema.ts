import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { headerName } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** correlation-id: tags each request (and optionally the response) with a unique id header. */
export const correlationIdSchema: PluginSchema = {
  name: 'correlation-id',
  version: HYBRIDGATE_VERSION,
  priority: 100001,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z.strictObject({
    header_name: headerName().default('Kong-Request-ID'),
    generator: z.enum(['uuid', 'uuid#counter', 'tracker']).default('uuid#counter'),
    echo_downstream: z.boolean().default(false),
  }),
};
