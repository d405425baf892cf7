import { aclHandler } from './acl/handler.js';
import { basicAuthHandler } from './basic-auth/handler.js';
import { correlationIdHandler } from './correlation-id/handler.js';
import { corsHandler } from './cors/handler.js';
import type { PluginHandler } from './handler.js';
import { ipRestrictionHandler } from './ip-restriction/handler.js';
import { keyAuthHandler } from './key-auth/handler.js';
import { prometheusHandler } from './prometheus/handler.js';
import { rateLimitingHandler } from './rate-limiting/handler.js';
import { requestSizeLimitingHandler } from './request-size-limiting/handler.js';
import { requestTransformerHandler } from './request-transformer/handler.js';
import { responseTransformerHandler } from './response-transformer/handler.js';

/** The bundled plugins' handlers by name (the data plane's half of src/runtime/plugins/registry.ts). */
export const BUNDLED_HANDLERS: Readonly<Record<string, PluginHandler<unknown>>> = Object.freeze(
  Object.fromEntries(
    [
      aclHandler,
      basicAuthHandler,
      correlationIdHandler,
      corsHandler,
      ipRestrictionHandler,
      keyAuthHandler,
      prometheusHandler,
      rateLimitingHandler,
      requestSizeLimitingHandler,
      requestTransformerHandler,
      responseTransformerHandler,
    ].map((h) => [h.name, h]),
  ),
);
