/**
 * Runs one phase of a request over its plugin chain with one loop (phases are data). Synchronous
 * handlers never make the runner allocate a promise: it returns undefined, and only when a handler
 * returns a promise does it continue asynchronously from the next step.
 *
 * Access is where Kong resolves consumer-scoped plugins: each plugin's instance is looked up with the
 * consumer known at that point, so plugins running after an auth plugin (lower priority) see the
 * consumer's instances. We reproduce it by switching to the (route, service, consumer) chain when the
 * consumer changes, continuing at the first plugin ranked after the one that just ran.
 */
import type { RequestContext } from './context.js';
import type { PluginIndex, PluginChain, ChainStep } from './plugin-index.js';
import { PHASE_INDEX, type Phase } from './phases.js';

/** Called when a handler throws or rejects (the runner then exits the request with Kong's 500). */
export type PluginFailureHook = (err: unknown, plugin: string, phase: Phase, ctx: RequestContext) => void;

let failureHook: PluginFailureHook = () => {};

/** Sets where plugin failures are reported (the proxy passes its logger). */
export function onPluginFailure(hook: PluginFailureHook): void {
  failureHook = hook;
}

const STOPS_ON_EXIT: Readonly<Record<Phase, boolean>> = {
  certificate: true,
  rewrite: true,
  access: true,
  header_filter: false,
  body_filter: false,
  log: false,
};

function fail(ctx: RequestContext, step: ChainStep, phase: Phase, err: unknown): void {
  try {
    failureHook(err, step.plugin.handler.name, phase, ctx);
  } catch {
    // The hook is a logger; its failure must not mask the plugin's.
  }
  // Kong answers 500 when a plugin errors before the response started; later phases just log.
  if (STOPS_ON_EXIT[phase]) ctx.exit(500, { message: 'An unexpected error occurred' });
}

function isThenable(v: unknown): v is PromiseLike<void> {
  return v !== undefined && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `phase` for the request. certificate and rewrite run the global chain (there is no route yet);
 * access resolves the chain from ctx.route/ctx.service and the consumer as it becomes known, and
 * stores the final chain in ctx.chain; header_filter, body_filter and log run ctx.chain (the global
 * chain when access never ran, e.g. no route matched). Returns a promise only if a handler did.
 */
export function runPhase(index: PluginIndex, phase: Phase, ctx: RequestContext): void | Promise<void> {
  let chain: PluginChain;
  if (phase === 'access') {
    chain = index.chainFor(idOf(ctx.route), idOf(ctx.service), idOf(ctx.consumer));
  } else if (phase === 'certificate' || phase === 'rewrite') {
    chain = index.global;
  } else {
    chain = ctx.chain ?? index.global;
  }
  ctx.chain = chain;
  return runFrom(index, chain, phase, ctx, 0);
}

function idOf(e: { id: string } | null): string | null {
  return e === null ? null : e.id;
}

function runFrom(
  index: PluginIndex,
  chain: PluginChain,
  phase: Phase,
  ctx: RequestContext,
  start: number,
): void | Promise<void> {
  const stops = STOPS_ON_EXIT[phase];
  const access = phase === 'access';
  let steps = chain.phases[PHASE_INDEX[phase]]!;
  for (let i = start; i < steps.length; i++) {
    const step = steps[i]!;
    if ((step.plugin.protocols & ctx.protocol) === 0) continue;
    const consumerBefore = ctx.consumer;
    let result: void | Promise<void>;
    try {
      result = step.fn(ctx, step.plugin.conf, step.plugin);
    } catch (err) {
      fail(ctx, step, phase, err);
      if (stops) return;
      continue;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => continueAfter(index, chain, phase, ctx, i, step, consumerBefore),
        (err: unknown) => {
          fail(ctx, step, phase, err);
          if (!stops) return continueAfter(index, chain, phase, ctx, i, step, consumerBefore);
          return undefined;
        },
      );
    }
    if (stops && ctx.exited !== null) return;
    if (access && ctx.consumer !== consumerBefore) {
      chain = switchChain(index, ctx);
      steps = chain.phases[PHASE_INDEX[phase]]!;
      i = nextAfter(steps, step.plugin.rank) - 1;
    }
  }
}

function continueAfter(
  index: PluginIndex,
  chain: PluginChain,
  phase: Phase,
  ctx: RequestContext,
  i: number,
  step: ChainStep,
  consumerBefore: unknown,
): void | Promise<void> {
  if (STOPS_ON_EXIT[phase] && ctx.exited !== null) return;
  if (phase === 'access' && ctx.consumer !== consumerBefore) {
    const next = switchChain(index, ctx);
    return runFrom(index, next, phase, ctx, nextAfter(next.phases[PHASE_INDEX[phase]]!, step.plugin.rank));
  }
  return runFrom(index, chain, phase, ctx, i + 1);
}

function switchChain(index: PluginIndex, ctx: RequestContext): PluginChain {
  const next = index.chainFor(idOf(ctx.route), idOf(ctx.service), idOf(ctx.consumer));
  ctx.chain = next;
  return next;
}

// Steps are sorted by rank, so the first step ranked after `rank` is where the new chain continues.
function nextAfter(steps: readonly ChainStep[], rank: number): number {
  let i = 0;
  while (i < steps.length && steps[i]!.plugin.rank <= rank) i++;
  return i;
}
