import { HybridgateError } from '../../shared/errors.js';

/**
 * A certificate or key that cannot be built, parsed or used: bad input to the builder, a PEM that is
 * not a certificate, a key that does not belong to its certificate. `context` names the field.
 */
export class PkiError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('HG_ERR_PKI', message, context, options);
  }
}
