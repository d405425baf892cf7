import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { colonPair } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

const names = () => z.array(z.string()).default([]);
const pairs = () => z.array(colonPair()).default([]);
const jsonTypes = () => z.array(z.enum(['boolean', 'number', 'string'])).default([]);

/** response-transformer: edits response headers and JSON body fields before they reach the client. */
export const responseTransformerSchema: PluginSchema = {
  name: 'response-transformer',
  version: HYBRIDGATE_VERSION,
  priority: 800,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z.strictObject({
    remove: z.strictObject({ headers: names(), json: names() }).prefault({}),
    rename: z.strictObject({ headers: pairs(), json: pairs() }).prefault({}),
    replace: z.strictObject({ headers: pairs(), json: pairs(), json_types: jsonTypes() }).prefault({}),
    add: z.strictObject({ headers: pairs(), json: pairs(), json_types: jsonTypes() }).prefault({}),
    append: z.strictObject({ headers: pairs(), json: pairs(), json_types: jsonTypes() }).prefault({}),
  }),
};
