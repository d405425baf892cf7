import { describe, expect, it } from '@jest/globals';
import type { Entity } from './context.js';
import type { PluginHandler } from './handler.js';
import { buildPluginIndex } from './plugin-index.js';
import { PluginConfigError } from './plugin-error.js';
import { PHASES } from './phases.js';
import { runPhase } from './runner.js';
import { testContext } from './test-context.js';

// A handler that records, per phase, which instance ran (by the instance's config.tag).
function recorder(name: string, priority: number, log: string[]): PluginHandler<unknown> {
  const fn = (phase: string) => (_ctx: unknown, conf: unknown) => {
    log.push(`${phase}:${name}:${(conf as { tag: string }).tag}`);
  };
  return {
    name,
    version: '1.0.0',
    priority,
    phases: Object.fromEntries(PHASES.map((p) => [p, fn(p)])),
  };
}

function plugin(
  id: string,
  name: string,
  tag: string,
  scope: { r?: string; s?: string; c?: string } = {},
  extra = {},
): Entity {
  return {
    id,
    name,
    config: { tag },
    route: scope.r ? { id: scope.r } : null,
    service: scope.s ? { id: scope.s } : null,
    consumer: scope.c ? { id: scope.c } : null,
    ...extra,
  };
}

describe('plugin index precedence', () => {
  const log: string[] = [];
  const handlers = { p: recorder('p', 10, log) };
  const scopes: [string, { r?: string; s?: string; c?: string }][] = [
    ['rsc', { r: 'r1', s: 's1', c: 'c1' }],
    ['rc', { r: 'r1', c: 'c1' }],
    ['sc', { s: 's1', c: 'c1' }],
    ['rs', { r: 'r1', s: 's1' }],
    ['c', { c: 'c1' }],
    ['r', { r: 'r1' }],
    ['s', { s: 's1' }],
    ['g', {}],
  ];

  it.each(scopes.map((_, i) => i))('with scopes %i.. present, the most specific applies', (from) => {
    const plugins = scopes.slice(from).map(([tag, scope], i) => plugin(`id${i}`, 'p', tag, scope));
    const index = buildPluginIndex({ plugins }, ['p'], { handlers });
    const chain = index.chainFor('r1', 's1', 'c1');
    expect(chain.plugins.map((p) => (p.conf as { tag: string }).tag)).toEqual([scopes[from]![0]]);
  });

  it('does not apply instances scoped to other entities', () => {
    const plugins = [
      plugin('a', 'p', 'other-route', { r: 'r2' }),
      plugin('b', 'p', 'other-consumer', { c: 'c2' }),
    ];
    const index = buildPluginIndex({ plugins }, ['p'], { handlers });
    expect(index.chainFor('r1', 's1', 'c1').plugins).toHaveLength(0);
    expect(index.chainFor('r2', 's1', null).plugins.map((p) => p.entity.id)).toEqual(['a']);
  });

  it('caches one chain per folded scope', () => {
    const index = buildPluginIndex({ plugins: [plugin('a', 'p', 'r', { r: 'r1' })] }, ['p'], { handlers });
    // Consumers and services that scope nothing fold to "none": same chain object.
    expect(index.chainFor('r1', 's1', 'c1')).toBe(index.chainFor('r1', 's9', 'c7'));
    expect(index.chainFor('r2', 's1', null)).toBe(index.global);
  });
});

describe('plugin runner', () => {
  it('runs phases in priority order, skipping disabled, unknown and not-enabled plugins', () => {
    const log: string[] = [];
    const handlers = {
      low: recorder('low', 1, log),
      high: recorder('high', 100, log),
      mid: recorder('mid', 50, log),
    };
    const index = buildPluginIndex(
      {
        plugins: [
          plugin('1', 'low', 'x'),
          plugin('2', 'high', 'x'),
          plugin('3', 'mid', 'x', {}, { enabled: false }),
          plugin('4', 'nope', 'x'),
        ],
      },
      ['low', 'high', 'mid'],
      { handlers },
    );
    const ctx = testContext();
    for (const phase of ['access', 'header_filter', 'log'] as const)
      expect(runPhase(index, phase, ctx)).toBeUndefined();
    expect(log).toEqual([
      'access:high:x',
      'access:low:x',
      'header_filter:high:x',
      'header_filter:low:x',
      'log:high:x',
      'log:low:x',
    ]);
    expect(index.skipped.map((s) => s.reason).sort()).toEqual(['disabled', 'no handler']);
  });

  it('runs only global plugins in rewrite', () => {
    const log: string[] = [];
    const index = buildPluginIndex(
      { plugins: [plugin('1', 'p', 'global'), plugin('2', 'q', 'route', { r: 'r1' })] },
      ['p', 'q'],
      { handlers: { p: recorder('p', 2, log), q: recorder('q', 1, log) } },
    );
    runPhase(index, 'rewrite', testContext());
    expect(log).toEqual(['rewrite:p:global']);
  });

  it('respects the instance protocols', () => {
    const log: string[] = [];
    const index = buildPluginIndex(
      { plugins: [plugin('1', 'p', 'https-only', {}, { protocols: ['https'] })] },
      ['p'],
      { handlers: { p: recorder('p', 1, log) } },
    );
    runPhase(index, 'access', testContext({ scheme: 'http' }));
    expect(log).toEqual([]);
    runPhase(index, 'access', testContext({ scheme: 'https' }));
    expect(log).toEqual(['access:p:https-only']);
  });

  it('resolves consumer-scoped instances after authentication, for lower-priority plugins only', () => {
    const log: string[] = [];
    const auth: PluginHandler<unknown> = {
      name: 'auth',
      version: '1.0.0',
      priority: 1000,
      phases: { access: (ctx) => ctx.authenticate({ id: 'c1' }, { id: 'cred' }) },
    };
    const handlers = { auth, before: recorder('before', 2000, log), after: recorder('after', 10, log) };
    const index = buildPluginIndex(
      {
        plugins: [
          plugin('a', 'auth', ''),
          plugin('b1', 'before', 'global'),
          plugin('b2', 'before', 'consumer', { c: 'c1' }),
          plugin('c1', 'after', 'global'),
          plugin('c2', 'after', 'consumer', { c: 'c1' }),
        ],
      },
      ['auth', 'before', 'after'],
      { handlers },
    );
    const ctx = testContext();
    runPhase(index, 'access', ctx);
    runPhase(index, 'log', ctx);
    // "before" ran before the consumer was known; later phases run the consumer's chain.
    expect(log).toEqual([
      'access:before:global',
      'access:after:consumer',
      'log:before:consumer',
      'log:after:consumer',
    ]);
  });

  it('continues asynchronously only when a handler returns a promise, and stops on exit', async () => {
    const log: string[] = [];
    const slow: PluginHandler<unknown> = {
      name: 'slow',
      version: '1.0.0',
      priority: 100,
      phases: {
        access: async (ctx) => {
          await new Promise((r) => setImmediate(r));
          log.push('slow');
          ctx.exit(418, { message: 'teapot' });
        },
      },
    };
    const index = buildPluginIndex(
      { plugins: [plugin('1', 'slow', ''), plugin('2', 'p', 'x')] },
      ['slow', 'p'],
      { handlers: { slow, p: recorder('p', 1, log) } },
    );
    const ctx = testContext();
    const result = runPhase(index, 'access', ctx);
    expect(result).toBeInstanceOf(Promise);
    await result;
    expect(log).toEqual(['slow']);
    expect(ctx.exited?.status).toBe(418);
    expect(ctx.exited?.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('turns a throwing handler into Kong 500 in access and keeps going in log', () => {
    const boom: PluginHandler<unknown> = {
      name: 'boom',
      version: '1.0.0',
      priority: 100,
      phases: {
        access: () => {
          throw new Error('boom');
        },
        log: () => {
          throw new Error('boom');
        },
      },
    };
    const log: string[] = [];
    const index = buildPluginIndex(
      { plugins: [plugin('1', 'boom', ''), plugin('2', 'p', 'x')] },
      ['boom', 'p'],
      { handlers: { boom, p: recorder('p', 1, log) } },
    );
    const ctx = testContext();
    runPhase(index, 'access', ctx);
    expect(ctx.exited?.status).toBe(500);
    expect(JSON.parse(ctx.exited!.body!.toString())).toEqual({ message: 'An unexpected error occurred' });
    expect(log).toEqual([]);
    runPhase(index, 'log', ctx);
    expect(log).toEqual(['log:p:x']);
  });

  it('rejects a bundled plugin config that does not match its schema, naming the field', () => {
    expect(() =>
      buildPluginIndex({ plugins: [{ id: 'k', name: 'key-auth', config: { key_names: [] } }] }, ['key-auth']),
    ).toThrow(PluginConfigError);
    try {
      buildPluginIndex({ plugins: [{ id: 'k', name: 'key-auth', config: { key_names: [] } }] }, ['key-auth']);
    } catch (err) {
      expect((err as Error).message).toContain('config.key_names');
      expect((err as PluginConfigError).context.id).toBe('k');
    }
  });
});
