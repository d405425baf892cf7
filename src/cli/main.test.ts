import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfError } from '../runtime/errors.js';
import type { RunningNode } from '../runtime/start-node.js';
import { HYBRIDGATE_VERSION } from '../runtime/version.js';
import { makeTestCertificates, type TestPair } from '../runtime/config/conf/test-certificates.js';
import { CliExit, type CliContext } from './cli-context.js';
import { main } from './main.js';

// main() runs in-process: output goes to buffers, signals come from an EventEmitter, and failures are
// a thrown CliExit (only bin/hybridgate.js calls process.exit).

let certs: ReturnType<typeof makeTestCertificates>;
let pair: TestPair;
let dir: string;
beforeAll(() => {
  certs = makeTestCertificates(1);
  pair = certs.pairs[0]!;
  dir = certs.dir;
});
afterAll(() => certs.cleanup());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  return {
    stdout,
    stderr,
    text: () => ({
      stdout: Buffer.concat(chunks.out).toString(),
      stderr: Buffer.concat(chunks.err).toString(),
    }),
  };
}

async function run(args: string[], ctx: Partial<CliContext> = {}): Promise<Run> {
  const io = capture();
  let code = 0;
  try {
    await main(['node', 'hybridgate', ...args], {
      cwd: dir,
      env: {},
      stdout: io.stdout,
      stderr: io.stderr,
      signals: new EventEmitter(),
      startNode: () => Promise.reject(new Error('startNode must not be called in this test')),
      ...ctx,
    });
  } catch (err) {
    if (!(err instanceof CliExit)) throw err;
    code = err.exitCode;
  }
  return { code, ...io.text() };
}

/** The JSON log lines written to stderr. */
function logLines(stderr: string): { msg: string; level: number; [k: string]: unknown }[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

describe('hybridgate version', () => {
  it('prints the version as text and as JSON', async () => {
    expect(await run(['version'])).toEqual({
      code: 0,
      stdout: `Hybridgate ${HYBRIDGATE_VERSION}\n`,
      stderr: '',
    });
    const json = await run(['version', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ version: HYBRIDGATE_VERSION });
  });
});

describe('usage errors', () => {
  it('exits 1 on an unknown command, with a suggestion', async () => {
    const r = await run(['strat']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'strat'");
    expect(r.stderr).toContain('start');
  });

  it('exits 0 on --help and lists every subcommand', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['start', 'config', 'version', 'hybrid']) expect(r.stdout).toContain(name);
  });
});

describe('hybridgate start --dump-config', () => {
  it('prints the resolved conf, redacted, from file, environment and --prefix', async () => {
    const conf = join(dir, 'cp.conf');
    writeFileSync(
      conf,
      `role = control_plane\ncluster_cert = ${pair.certPath}\npg_password = s3cret\nlog_levle = debug\n`,
    );
    const r = await run(['start', '-c', conf, '--prefix', 'cp-prefix', '--dump-config'], {
      env: { HYBRIDGATE_CLUSTER_CERT_KEY: pair.key },
    });
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown).toMatchObject({
      role: 'control_plane',
      prefix: join(dir, 'cp-prefix'),
      cluster_cert: pair.certPath,
      cluster_cert_key: '******',
      pg_password: '******',
    });
    expect(r.stdout).not.toContain('s3cret');
    expect(r.stdout).not.toContain('PRIVATE KEY');
    expect(r.stderr).toBe(
      `Warning: ${conf}:4: unknown property log_levle (did you mean log_level?); ignored\n`,
    );
  });
});

describe('hybridgate start errors', () => {
  it('prints every conf error as an Error: line, without a stack, and exits 1', async () => {
    const r = await run(['start'], {
      env: { KONG_ROLE: 'data_plane', KONG_CLUSTER_MAX_PAYLOAD: '1000', KONG_CLUSTER_CERT: pair.certPath },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'Error: cluster_max_payload: 1000 is too small (expected an integer >= 4194304)',
      'Error: database: "lmdb" is not allowed when role = data_plane; data planes keep no database (hint: set database = off)',
      'Error: cluster_cert_key: is required when role = data_plane (expected a path, PEM content or base64 PEM; see hybridgate hybrid gen_cert)',
    ]);
  });

  it('reports a ConfError from startNode as an Error: line and exits 1', async () => {
    const r = await run(['start'], {
      startNode: () => Promise.reject(new ConfError('role traditional cannot be started by this build yet')),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: role traditional cannot be started by this build yet\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hybridgate start lifecycle', () => {
  function fakeNode(close: () => Promise<void>): RunningNode {
    return { role: 'traditional', addresses: { admin: { host: '127.0.0.1', port: 1 } }, close };
  }

  it('starts the node, logs conf warnings, and closes it gracefully on SIGTERM', async () => {
    const signals = new EventEmitter();
    let closed = 0;
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const running = run(['start'], {
      env: { HYBRIDGATE_LOG_LEVEL: 'info', HYBRIDGATE_NOT_A_KEY: '1' },
      signals,
      startNode: async (conf) => {
        expect(conf.role).toBe('traditional');
        started();
        return fakeNode(async () => void closed++);
      },
    });
    await isStarted;
    // The node is returned after startNode resolves; a signal queued now is handled once it runs.
    signals.emit('SIGTERM');
    const r = await running;
    expect(r.code).toBe(0);
    expect(closed).toBe(1);
    const msgs = logLines(r.stderr).map((l) => l.msg);
    expect(msgs).toEqual([
      'environment HYBRIDGATE_NOT_A_KEY: unknown property not_a_key; ignored',
      'node started',
      'stopping node',
      'node stopped',
    ]);
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });

  it('gives up the graceful stop on a second signal and exits 1', async () => {
    const signals = new EventEmitter();
    let releaseClose!: () => void;
    let closing!: () => void;
    let starting!: () => void;
    const isClosing = new Promise<void>((r) => (closing = r));
    const isStarting = new Promise<void>((r) => (starting = r));
    const running = run(['start'], {
      signals,
      startNode: async () => {
        starting();
        return fakeNode(() => {
          closing();
          return new Promise<void>((r) => (releaseClose = r));
        });
      },
    });
    // Signal handlers are installed before startNode runs; a SIGINT during start-up is queued.
    await isStarting;
    signals.emit('SIGINT');
    await isClosing;
    signals.emit('SIGTERM');
    const r = await running;
    releaseClose();
    expect(r.code).toBe(1);
    expect(logLines(r.stderr).at(-1)?.msg).toBe('second signal during graceful stop, exiting now');
  });
});

describe('hybridgate config validate', () => {
  it('accepts a valid declarative file', async () => {
    const file = join(dir, 'kong.yaml');
    writeFileSync(
      file,
      '_format_version: "3.0"\nservices:\n  - name: echo\n    url: http://127.0.0.1:9000\n    routes:\n      - name: r\n        paths: [/echo]\n',
    );
    const r = await run(['config', 'validate', 'kong.yaml']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`parse successful: ${file} (services 1, routes 1)\n`);
  });

  it('lists the problems of an invalid file and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, '_format_version: "3.0"\nservices:\n  - name: echo\n    port: 99999999\n');
    const r = await run(['config', 'validate', file]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Error: .*bad\.yaml: invalid declarative configuration \(\d+ problems?\)$/);
    expect(lines.slice(1).every((l) => l.startsWith('Error:   services[0]'))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing file and exits 1', async () => {
    const r = await run(['config', 'validate', 'missing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.yaml');
  });
});

describe('hybridgate hybrid gen_cert through main', () => {
  it('writes the pair, then exits 1 rather than overwrite it', async () => {
    const sub = mkdtempSync(join(tmpdir(), 'hg-cli-gen-'));
    try {
      const first = await run(['hybrid', 'gen_cert', 'c.crt', 'c.key'], { cwd: sub });
      expect(first.code).toBe(0);
      expect(existsSync(join(sub, 'c.key'))).toBe(true);
      const again = await run(['hybrid', 'gen_cert', 'c.crt', 'c.key'], { cwd: sub });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already exists');
      expect(process.exitCode).toBeUndefined();
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });
});
