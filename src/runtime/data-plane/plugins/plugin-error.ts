import { HybridgateError } from '../../../shared/errors.js';

/**
 * A plugin instance the data plane cannot prepare: an invalid config for its schema, or a config its
 * handler rejects at prepare time. Thrown from buildPluginIndex, so the engine keeps the old state.
 */
export class PluginConfigError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>, options?: ErrorOptions) {
    super('HG_ERR_DP_PLUGIN_CONFIG', message, context, options);
  }
}
