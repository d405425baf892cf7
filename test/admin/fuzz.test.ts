import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_BODY_LIMIT } from '../../src/runtime/control-plane/admin/body-parsers.js';
import { startHarness, type Harness, type SendOptions } from './admin-harness.js';

/**
 * Bounded fuzzing of the Admin API with a seeded PRNG (a failure names its seed and case, so it
 * replays): every generated request is invalid by construction, and each must get a 4xx with an error
 * body, never a 5xx; afterwards the server still answers and the stored config is unchanged.
 */

const SEED = Number(process.env.HG_FUZZ_SEED ?? 20261123);
const CASES = 500;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

function randomString(rng: Rng, max = 24): string {
  const alphabet = 'abcXYZ019 -_./:%?#&=[]{}"\'\\\u00e9\u4e2d\u0000\u{1F600}';
  const chars = [...alphabet];
  return Array.from({ length: 1 + int(rng, max) }, () => pick(rng, chars)).join('');
}

const WEIRD_VALUES: readonly unknown[] = [
  1e308,
  -1e308,
  2 ** 53 + 1,
  -0,
  0.5,
  -1,
  99999999999,
  'NaN',
  'Infinity',
  '',
  ' ',
  null,
  true,
  false,
  [],
  {},
  [[[]]],
  { id: 'x' },
  'x'.repeat(5000),
  ['/a', 5],
  { nested: { deeper: [1, { x: null }] } },
];
const FIELDS: Record<string, readonly string[]> = {
  services: ['host', 'port', 'retries', 'protocol', 'path', 'connect_timeout', 'tags', 'enabled', 'name'],
  routes: ['paths', 'hosts', 'methods', 'protocols', 'strip_path', 'regex_priority', 'headers', 'service'],
  upstreams: ['name', 'slots', 'algorithm', 'healthchecks', 'hash_on'],
  consumers: ['username', 'custom_id', 'tags'],
  plugins: ['name', 'config', 'protocols', 'route', 'enabled'],
};

function deepNesting(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** One invalid request: [method, path, options, what it is]. */
function generate(rng: Rng): [string, string, SendOptions, string] {
  const family = pick(rng, Object.keys(FIELDS));
  const kind = int(rng, 9);
  switch (kind) {
    case 0: {
      const valid = JSON.stringify({ host: 'a.example', paths: ['/x'], config: { minute: 5 } });
      // Cutting before the closing brace always leaves invalid JSON; the suffixes never complete it.
      const cut = valid.slice(0, 1 + int(rng, valid.length - 2)) + pick(rng, ['', ',', ',}', '"', '\u0000']);
      return [
        pick(rng, ['POST', 'PUT', 'PATCH']),
        `/${family}/${crypto.randomUUID()}`.replace(/\/[^/]+$/, pick(rng, ['', '/x'])),
        { raw: { body: cut, contentType: 'application/json' } },
        'malformed json',
      ];
    }
    case 1: {
      const field = pick(rng, FIELDS[family] ?? []);
      const value = pick(rng, WEIRD_VALUES);
      // a mandatory field of the wrong type, plus a field no schema has: invalid whatever `value` is
      return [
        'POST',
        `/${family}`,
        { json: { [field]: value, [`zz_${randomString(rng, 6)}`]: 1 } },
        `wrong type ${field}`,
      ];
    }
    case 2: {
      const key = `unknown_${int(rng, 1000)}`;
      return [
        pick(rng, ['POST', 'PUT']),
        `/${family}${pick(rng, ['', '/some-name'])}`,
        { json: { [key]: pick(rng, WEIRD_VALUES) } },
        'unknown field',
      ];
    }
    case 3: {
      const segment = encodeURIComponent(randomString(rng));
      const base = pick(rng, ['/ca_certificates', '/certificates', '/services', '/consumers', '/upstreams']);
      const method = base.includes('certificates')
        ? pick(rng, ['GET', 'PATCH', 'DELETE', 'PUT'])
        : pick(rng, ['GET', 'PATCH']);
      return [
        method,
        `${base}/${segment}`,
        method === 'GET' || method === 'DELETE' ? {} : { json: { bad_field: 1 } },
        'invalid id or key',
      ];
    }
    case 4: {
      const body = pick(rng, [
        deepNesting(100_000),
        JSON.stringify({ host: JSON.parse(deepNesting(500)) }),
        '"just a string"',
        '12345',
        'null',
        '[1,2,3]',
      ]);
      return ['POST', `/${family}`, { raw: { body, contentType: 'application/json' } }, 'nested garbage'];
    }
    case 5: {
      const q = pick(rng, [
        `size=${pick(rng, ['0', '-1', '1001', 'abc', '1e3', '1.5', '99999999999999999999'])}`,
        `offset=${encodeURIComponent(randomString(rng))}`,
        `tags=${encodeURIComponent(pick(rng, ['a,b/c', ',', '/', 'a,,b', '']))}`,
        `offset=${int(rng, 9)}&offset=${int(rng, 9)}`,
        `size=${int(rng, 10)}&size=${int(rng, 10)}`,
      ]);
      return [
        'GET',
        `/${pick(rng, ['services', 'routes', 'plugins', 'consumers'])}?${q}`,
        {},
        `bad query ${q}`,
      ];
    }
    case 6: {
      const form = pick(rng, [
        `port=${encodeURIComponent(randomString(rng))}&host=f.example`,
        `a[b][c][d][e][f][g][h][i][j][k][l]=1&zz=${int(rng, 9)}`,
        `${encodeURIComponent(randomString(rng))}=${encodeURIComponent(randomString(rng))}&zz_unknown=1`,
        'paths[99999]=/x&zz=1',
        '%%%&&&===&zz=1',
      ]);
      return ['POST', `/${family}`, { form }, `form ${form.slice(0, 40)}`];
    }
    case 7: {
      const method = pick(rng, ['PUT', 'PATCH', 'DELETE']);
      return [
        method,
        pick(rng, ['/services', '/routes', '/config', '/status', '/']),
        { json: {} },
        'method not allowed',
      ];
    }
    default: {
      const contentType = pick(rng, [
        'text/html',
        'application/xml',
        'image/png',
        'multipart/mixed; boundary=x',
      ]);
      return [
        'POST',
        `/${family}`,
        { raw: { body: randomString(rng), contentType } },
        `media ${contentType}`,
      ];
    }
  }
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.send('POST', '/config', {
    json: {
      config:
        '_format_version: "3.0"\nservices:\n  - name: some-name\n    host: s.example\n    routes:\n      - paths: [/s]\nconsumers:\n  - username: some-name\nupstreams:\n  - name: some-name\n',
    },
  });
});
afterAll(async () => {
  await h.stop();
});

describe('admin api fuzz', () => {
  it(`answers ${CASES} invalid requests (seed ${SEED}) with 4xx error bodies and changes nothing`, async () => {
    const before = await h.send('GET', '/config');
    const version = await h.cp.store.version();
    const rng = mulberry32(SEED);
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const [method, path, opts, what] = generate(rng);
      const r = await h.send(method, path, opts);
      const bodyOk = r.json !== undefined && typeof r.json.message === 'string';
      if (r.status < 400 || r.status >= 500 || !bodyOk) {
        failures.push(
          `case ${i} (${what}): ${method} ${path.slice(0, 80)} -> ${r.status} ${r.text.slice(0, 160)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect((await h.send('GET', '/status')).status).toBe(200);
    expect(await h.cp.store.version()).toBe(version);
    expect((await h.send('GET', '/config')).json).toEqual(before.json);
  });

  it('refuses bodies over the limit with 413 and keeps serving', async () => {
    const big = Buffer.alloc(ADMIN_BODY_LIMIT + 1, 0x61);
    const r = await h.send('POST', '/services', { raw: { body: big, contentType: 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ message: 'Request body is too large' });
    expect((await h.send('GET', '/status')).status).toBe(200);
  });
});
