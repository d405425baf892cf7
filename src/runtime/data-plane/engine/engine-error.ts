import { HybridgateError } from '../../../shared/errors.js';

/**
 * A config the data plane cannot build a state from (a certificate that does not load, a route that
 * does not compile, a plugin index that throws). The old state stays in service.
 */
export class ConfigBuildError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>, options?: ErrorOptions) {
    super('HG_ERR_DP_CONFIG_BUILD', message, context, options);
  }
}
