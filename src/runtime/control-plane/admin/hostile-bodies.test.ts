import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createLogger } from '../../../shared/logger.js';
import { loadConf } from '../../config/conf/load-conf.js';
import { startControlPlane, type ControlPlane } from '../start-control-plane.js';
import { FORM_PARAMETER_LIMIT } from './body-parsers.js';
import { flowNestingDepth, MAX_FLOW_NESTING } from './config-routes.js';

/** The answers the fuzz suite found missing: each hostile body gets its own 400, never a 500. */

let cp: ControlPlane;
let prefix: string;
let base: string;
const agent = new Agent({ keepAliveTimeout: 10 });

beforeAll(async () => {
  prefix = mkdtempSync(join(tmpdir(), 'hg-hostile-'));
  const { conf } = loadConf({
    env: {},
    overrides: { prefix, role: 'traditional', admin_listen: '127.0.0.1:0', lmdb_map_size: '64m' },
  });
  cp = await startControlPlane(conf, createLogger({ component: 'test', level: 'silent' }));
  base = `http://127.0.0.1:${cp.admin.addresses[0]!.port}`;
});
afterAll(async () => {
  await cp.close();
  await agent.close();
  rmSync(prefix, { recursive: true, force: true });
});

async function post(path: string, contentType: string, body: string) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    dispatcher: agent,
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe('hostile bodies', () => {
  it('counts flow nesting, brackets in strings included', () => {
    expect(flowNestingDepth('a: [1, {b: [2]}]')).toBe(3);
    expect(flowNestingDepth(']]][[')).toBe(2);
    expect(flowNestingDepth('"[[["')).toBe(3);
  });

  it('refuses __proto__ and constructor.prototype keys in JSON anywhere in the body', async () => {
    const proto = await post(
      '/services',
      'application/json',
      '{"host":"h.example","x":{"__proto__":{"a":1}}}',
    );
    expect(proto).toEqual({
      status: 400,
      json: { message: "Cannot parse JSON body: forbidden key '__proto__'" },
    });
    const ctor = await post(
      '/consumers',
      'application/json',
      '{"username":"u","constructor":{"prototype":{}}}',
    );
    expect(ctor).toEqual({
      status: 400,
      json: { message: "Cannot parse JSON body: forbidden key 'constructor.prototype'" },
    });
    // A field merely named constructor is fine for the parser (the schema decides).
    const plain = await post('/consumers', 'application/json', '{"username":"u","constructor":"x"}');
    expect(plain.status).toBe(400);
    expect(plain.json.name).toBe('schema violation');
  });

  it('refuses form bodies with more fields than the limit', async () => {
    const form = Array.from({ length: FORM_PARAMETER_LIMIT + 1 }, (_, i) => `f${i}=1`).join('&');
    expect(await post('/services', 'application/x-www-form-urlencoded', form)).toEqual({
      status: 400,
      json: { message: `Cannot parse form body: more than ${FORM_PARAMETER_LIMIT} fields` },
    });
  });

  it('answers deep YAML nesting and alias bombs on /config with code 14', async () => {
    const deep = await post(
      '/config',
      'text/yaml',
      `_format_version: "3.0"\nx: ${'['.repeat(MAX_FLOW_NESTING + 1)}`,
    );
    expect(deep.status).toBe(400);
    expect(deep.json).toMatchObject({ code: 14, message: expect.stringContaining('nested deeper than 512') });
    const lines = ['_format_version: "3.0"', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = await post('/config', 'text/yaml', lines.join('\n'));
    expect(bomb.status).toBe(400);
    expect(bomb.json).toMatchObject({ code: 14, message: expect.stringContaining('alias') });
    const unresolved = await post(
      '/config',
      'application/json',
      JSON.stringify({ config: 'services: *nope\n' }),
    );
    expect(unresolved.status).toBe(400);
    expect(unresolved.json.code).toBe(14);
  });
});
