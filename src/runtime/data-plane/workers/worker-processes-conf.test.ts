import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { loadConf } from '../../config/conf/index.js';
import { PROPERTIES } from '../../config/conf/properties.js';

// worker_processes is read by the conf loader (engineer A's area); the parsing rules live with it, the
// behaviour they drive lives here, so the rules are pinned beside the workers.
describe('worker_processes', () => {
  const parse = (raw: string): number =>
    PROPERTIES.worker_processes.type.parse(raw, { cwd: '/', secret: false } as never) as number;

  it('defaults to 1 and accepts auto (one per CPU) or a count', () => {
    expect(loadConf({ env: {}, cwd: '/' }).conf.worker_processes).toBe(1);
    expect(parse('auto')).toBe(Math.min(256, availableParallelism()));
    expect(parse('4')).toBe(4);
  });

  it('refuses zero, negative, fractional and unknown values with what was expected', () => {
    for (const raw of ['0', '-1', '1.5', 'many', '257']) expect(() => parse(raw)).toThrow();
    expect(() => loadConf({ env: { HYBRIDGATE_WORKER_PROCESSES: 'many' }, cwd: '/' })).toThrow(
      /worker_processes.*many.*auto or an integer between 1 and 256/s,
    );
  });
});
