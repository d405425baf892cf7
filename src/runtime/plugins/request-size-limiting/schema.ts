import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** request-size-limiting: refuses request bodies above a size (413). */
export const requestSizeLimitingSchema: PluginSchema = {
  name: 'request-size-limiting',
  version: HYBRIDGATE_VERSION,
  priority: 951,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z.strictObject({
    allowed_payload_size: z.int().min(0, { error: 'value must be at least 0' }).default(128),
    size_unit: z.enum(['megabytes', 'kilobytes', 'bytes']).default('megabytes'),
    require_content_length: z.boolean().default(false),
  }),
};
