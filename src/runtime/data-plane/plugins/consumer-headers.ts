import type { Entity, RequestContext } from './context.js';

function setOrClear(ctx: RequestContext, name: string, value: unknown): void {
  if (typeof value === 'string' && value !== '') ctx.request.headers[name] = value;
  else delete ctx.request.headers[name];
}

/**
 * Authenticates the request and sets Kong's consumer headers for the upstream (auth plugins'
 * `set_consumer`): values the client sent under these names are always replaced or cleared, so a
 * client cannot pose as a consumer.
 */
export function setConsumer(ctx: RequestContext, consumer: Entity, credential: Entity | null): void {
  ctx.authenticate(consumer, credential);
  setOrClear(ctx, 'x-consumer-id', consumer.id);
  setOrClear(ctx, 'x-consumer-custom-id', consumer.custom_id);
  setOrClear(ctx, 'x-consumer-username', consumer.username);
  if (credential !== null) {
    setOrClear(ctx, 'x-credential-identifier', credential.id);
    delete ctx.request.headers['x-anonymous-consumer'];
  } else {
    delete ctx.request.headers['x-credential-identifier'];
    ctx.request.headers['x-anonymous-consumer'] = 'true';
  }
}

/**
 * Kong's rule for stacked auth plugins: when this plugin has `anonymous` set and an earlier plugin
 * already authenticated a real credential, this one does not run (logical OR of auth plugins).
 */
export function alreadyAuthenticated(ctx: RequestContext, anonymous: string | null): boolean {
  return anonymous !== null && ctx.credential !== null;
}
