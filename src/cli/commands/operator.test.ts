import { describe, it, expect } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { operatorCommand, parseAddress } from './operator.js';

function context(env: NodeJS.ProcessEnv = {}) {
  const errors: string[] = [];
  const ctx = {
    cwd: process.cwd(),
    env,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    out: () => {},
    err: (line: string) => void errors.push(line),
    signals: new EventEmitter(),
    startNode: () => Promise.reject(new Error('not used')),
  } as unknown as CliContext;
  return { ctx, errors };
}

async function run(args: string[], env?: NodeJS.ProcessEnv) {
  const { ctx, errors } = context(env);
  const program = new Command('hybridgate').exitOverride().addCommand(operatorCommand(ctx).exitOverride());
  let thrown: unknown;
  try {
    await program.parseAsync(['node', 'hybridgate', 'operator', ...args]);
  } catch (err) {
    thrown = err;
  }
  return { thrown, errors };
}

describe('hybridgate operator', () => {
  it('parses listen addresses', () => {
    expect(parseAddress(':8081')).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(parseAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAddress('off')).toBeUndefined();
    expect(() => parseAddress('8081')).toThrow('expected host:port or off, got "8081"');
    expect(() => parseAddress('x:99999')).toThrow(/expected host:port/);
  });

  it('needs a namespace for the leader-election Lease unless told not to elect', async () => {
    const r = await run(['--kubeconfig', '/nonexistent']);
    expect(r.thrown).toBeInstanceOf(CliExit);
    expect((r.thrown as CliExit).exitCode).toBe(2);
    expect(r.errors[0]).toMatch(/leader election needs --leader-election-namespace/);
  });

  it('refuses a bad --health-address before touching the cluster', async () => {
    const r = await run(['--health-address', 'nope', '--no-leader-elect']);
    expect((r.thrown as CliExit).exitCode).toBe(2);
    expect(r.errors[0]).toBe('Error: --health-address: expected host:port or off, got "nope"');
  });

  it('fails clearly on an unreadable kubeconfig', async () => {
    const r = await run([
      '--kubeconfig',
      '/nonexistent/kubeconfig',
      '--no-leader-elect',
      '--health-address',
      'off',
    ]);
    expect(String((r.thrown as Error).message)).toMatch(/nonexistent\/kubeconfig/);
  });

  it('rejects a negative --ca-propagation-delay', async () => {
    const r = await run(['--ca-propagation-delay', '-1']);
    expect(String((r.thrown as Error).message)).toMatch(/expected a number of seconds/);
  });
});
