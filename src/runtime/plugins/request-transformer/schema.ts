import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { colonPair, opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

const names = () => z.array(z.string()).default([]);
const pairs = () => z.array(colonPair()).default([]);

/** request-transformer: edits the request (headers, query string, body, method, uri) before proxying. */
export const requestTransformerSchema: PluginSchema = {
  name: 'request-transformer',
  version: HYBRIDGATE_VERSION,
  priority: 801,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z.strictObject({
    http_method: opt(
      z.string().regex(/^[A-Z]+$/, { error: 'invalid value: expected an upper-case HTTP method' }),
    ),
    remove: z.strictObject({ body: names(), headers: names(), querystring: names() }).prefault({}),
    rename: z.strictObject({ body: pairs(), headers: pairs(), querystring: pairs() }).prefault({}),
    replace: z
      .strictObject({ body: pairs(), headers: pairs(), querystring: pairs(), uri: opt(z.string()) })
      .prefault({}),
    add: z.strictObject({ body: pairs(), headers: pairs(), querystring: pairs() }).prefault({}),
    append: z.strictObject({ body: pairs(), headers: pairs(), querystring: pairs() }).prefault({}),
  }),
};
