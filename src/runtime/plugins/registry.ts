import { aclSchema } from './acl/schema.js';
import { basicAuthSchema } from './basic-auth/schema.js';
import { correlationIdSchema } from './correlation-id/schema.js';
import { corsSchema } from './cors/schema.js';
import { ipRestrictionSchema } from './ip-restriction/schema.js';
import { keyAuthSchema } from './key-auth/schema.js';
import { prometheusSchema } from './prometheus/schema.js';
import { rateLimitingSchema } from './rate-limiting/schema.js';
import { requestSizeLimitingSchema } from './request-size-limiting/schema.js';
import { requestTransformerSchema } from './request-transformer/schema.js';
import { responseTransformerSchema } from './response-transformer/schema.js';
import type { PluginSchema } from './types.js';

export type { PluginSchema, PluginProtocol } from './types.js';

/** The bundled plugins' schemas by name (conf `plugins = bundled` enables all of them). */
export const BUNDLED_PLUGIN_SCHEMAS: Readonly<Record<string, PluginSchema>> = Object.freeze(
  Object.fromEntries(
    [
      aclSchema,
      basicAuthSchema,
      correlationIdSchema,
      corsSchema,
      ipRestrictionSchema,
      keyAuthSchema,
      prometheusSchema,
      rateLimitingSchema,
      requestSizeLimitingSchema,
      requestTransformerSchema,
      responseTransformerSchema,
    ].map((s) => [s.name, s]),
  ),
);

/** The bundled plugin names, sorted case-insensitively as Kong lists them in `basic_info`. */
export const BUNDLED_PLUGIN_NAMES: readonly string[] = Object.keys(BUNDLED_PLUGIN_SCHEMAS).sort((a, b) =>
  a.toLowerCase().localeCompare(b.toLowerCase()),
);

/** The schema of a plugin by name, or undefined for a plugin this build does not have. */
export function getPluginSchema(name: string): PluginSchema | undefined {
  return Object.prototype.hasOwnProperty.call(BUNDLED_PLUGIN_SCHEMAS, name)
    ? BUNDLED_PLUGIN_SCHEMAS[name]
    : undefined;
}
