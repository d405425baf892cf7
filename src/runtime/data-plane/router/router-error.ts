import { HybridgateError } from '../../../shared/errors.js';

/**
 * A route that cannot be compiled (an invalid regex path, a malformed host). The engine keeps the old
 * router when building the new one throws this, and reports the message upstream.
 */
export class RouterBuildError extends HybridgateError {
  constructor(message: string, context: { routeId: string; field: string; value: unknown }) {
    super('HG_ERR_ROUTER_BUILD', message, context);
  }
}
