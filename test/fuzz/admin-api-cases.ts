import { deepJson, HOSTILE_VALUES, POLLUTING_KEYS, protoJson, pct, type Rng } from './prng.js';
import type { RawRequest } from './raw-http.js';

/**
 * Generators of hostile Admin API requests. Every write is invalid by construction (an unknown field,
 * a wrong type, broken syntax), so no case may change the stored configuration; reads may succeed.
 * Each case is labelled with its family so a failure says what kind of input broke what.
 */

/** One generated request and the family it belongs to. */
export interface AdminCase {
  family: string;
  req: RawRequest;
}

const FAMILIES = [
  'services',
  'routes',
  'consumers',
  'upstreams',
  'plugins',
  'certificates',
  'ca_certificates',
];
const EXISTING = 'some-name';
const JSON_CT: [string, string] = ['content-type', 'application/json'];
const FORM_CT: [string, string] = ['content-type', 'application/x-www-form-urlencoded'];

const writeMethod = (rng: Rng) => rng.pick(['POST', 'PUT', 'PATCH']);
const entityPath = (rng: Rng, method: string) => {
  const family = rng.pick(FAMILIES);
  if (method === 'POST') return `/${family}`;
  // PUT/PATCH on an existing name or a random key: both must be refused by the body.
  return `/${family}/${rng.chance(0.5) ? EXISTING : `k${rng.int(1e6)}`}`;
};
const invalidFieldTail = (rng: Rng) => `"zz_unknown_${rng.int(1000)}":${rng.int(9)}`;

function jsonBody(rng: Rng): AdminCase {
  const method = writeMethod(rng);
  const target = entityPath(rng, method);
  const tail = invalidFieldTail(rng);
  const bodies: [string, () => string | Buffer][] = [
    ['deep array', () => deepJson(1000 + rng.int(50_000), 'array')],
    ['deep object', () => deepJson(500 + rng.int(5000), 'object')],
    ['deep value', () => `{"host":${deepJson(200 + rng.int(2000), 'array')},${tail}}`],
    [
      'huge array',
      () => `{"paths":[${Array.from({ length: 5000 + rng.int(20_000) }, () => '"/a"').join(',')}],${tail}}`,
    ],
    [
      'giant number',
      () =>
        `{"port":${rng.pick(['1e999', '-1e999', '9'.repeat(400), '0.' + '0'.repeat(400) + '1', '1e-999'])},${tail}}`,
    ],
    ['pollution', () => `{${protoJson(`{"polluted":true,"host":"evil.example"}`).slice(1, -1)},${tail}}`],
    ['pollution only', () => protoJson('{"polluted":true}')],
    ['nul byte', () => `{"name":"a\\u0000b","host":"h\u0000.example",${tail}}`],
    [
      'invalid utf-8',
      () =>
        Buffer.concat([
          Buffer.from('{"name":"'),
          rng.bytes(4).map((b) => b | 0x80),
          Buffer.from(`",${tail}}`),
        ]),
    ],
    ['bom', () => `\ufeff{"name":"x",${tail}}`],
    ['truncated', () => `{"name":"x","host":"h.example","paths":["/a"`.slice(0, 1 + rng.int(40))],
    ['duplicate keys', () => `{"name":"a","name":{"x":1},"host":1,${tail}}`],
    ['scalar', () => rng.pick(['"str"', '1', 'null', 'true', '[]', '[{}]', ''])],
    [
      'hostile value',
      () =>
        JSON.stringify({
          [rng.pick(['host', 'port', 'name', 'paths', 'config', 'tags'])]: rng.pick(HOSTILE_VALUES),
          zz: 1,
        }),
    ],
  ];
  const [kind, make] = rng.pick(bodies);
  const body = make();
  // A scalar body counts as empty: on POST that misses required fields, while a PUT to a fresh key
  // would legitimately create the entity from the path alone.
  if (kind === 'scalar')
    return {
      family: `json ${kind}`,
      req: { method: 'POST', target: `/${rng.pick(FAMILIES)}`, headers: [JSON_CT], body },
    };
  return { family: `json ${kind}`, req: { method, target, headers: [JSON_CT], body } };
}

function formBody(rng: Rng): AdminCase {
  const method = writeMethod(rng);
  const key = rng.pick(POLLUTING_KEYS);
  const forms = [
    `__proto__[polluted]=1&__proto__.polluted=1&zz=1`,
    `constructor[prototype][polluted]=1&constructor.prototype.polluted=1&zz=1`,
    `${key}=x&${key}[x]=y&zz=1`,
    `${'a['.repeat(40)}x${']'.repeat(40)}=1&zz=1`,
    `paths[999999]=/x&paths[-1]=/y&zz=1`,
    Array.from({ length: 1001 + rng.int(20_000) }, (_, i) => `p${i}=${i}`).join('&'),
    '%%%&&&===&zz=%ff%fe&%00=%00',
    `name=${pct(rng.string())}&host=${'%ff'.repeat(rng.int(50))}&zz=1`,
  ];
  const which = rng.int(forms.length);
  return {
    family: `form ${which}`,
    req: { method, target: entityPath(rng, method), headers: [FORM_CT], body: forms[which] },
  };
}

function multipartBody(rng: Rng): AdminCase {
  const b = `b${rng.int(1e6)}`;
  const part = (name: string, value: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const bodies = [
    `${part('__proto__[polluted]', '1')}${part('zz', '1')}--${b}--\r\n`,
    `${part('name', 'x')}`, // unterminated
    `--other\r\n\r\n--other--`,
    `${Array.from({ length: 3000 }, (_, i) => part(`f${i}`, 'v')).join('')}--${b}--\r\n`,
    `${part('constructor[prototype][polluted]', '1')}${part('zz', '1')}--${b}--\r\n`,
    rng.bytes(200).toString('latin1'),
  ];
  const ct = rng.pick([
    `multipart/form-data; boundary=${b}`,
    'multipart/form-data',
    `multipart/form-data; boundary=`,
  ]);
  return {
    family: 'multipart',
    req: {
      method: 'POST',
      target: `/${rng.pick(FAMILIES)}`,
      headers: [['content-type', ct]],
      body: rng.pick(bodies),
    },
  };
}

function declarativeBody(rng: Rng): AdminCase {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const yamls = [
    `_format_version: "3.0"\n${laughs.join('\n')}\n`,
    `_format_version: "3.0"\nservices: !!js/function "function(){return 1}"\n`,
    `_format_version: "3.0"\nservices:\n  - name: x\n    host: ${'['.repeat(513 + rng.int(100_000))}\n`,
    `_format_version: "9.9"\n`,
    `_format_version: "3.0"\n__proto__:\n  polluted: true\nservices: 5\n`,
    `_format_version: "3.0"\nservices:\n${Array.from({ length: 150 }, (_, i) => `  - name: s${i}\n    host: h${i}.example`).join('\n')}\n  - name: bad\n    host: 5\n    port: hello\n`,
    `_format_version: "3.0"\nservices:\n  - name: a\n    host: a.example\n  - name: a\n    host: b.example\n`,
    `_format_version: "3.0"\nroutes:\n  - paths: [/x]\n    service: nowhere\n`,
    `\t- :\n: - ]\n`,
    `_format_version: "3.0"\nconsumers:\n  - username: u\n    keyauth_credentials:\n      - key: k\n        consumer: someone-else\n`,
  ];
  const which = rng.int(yamls.length);
  const yaml = yamls[which]!;
  const wrap = rng.int(4);
  const req: RawRequest =
    wrap === 0
      ? { method: 'POST', target: '/config', headers: [['content-type', 'text/yaml']], body: yaml }
      : wrap === 1
        ? { method: 'POST', target: '/config', headers: [JSON_CT], body: JSON.stringify({ config: yaml }) }
        : wrap === 2
          ? {
              method: 'POST',
              target: '/config?check_hash=1',
              headers: [FORM_CT],
              body: `config=${pct(yaml)}`,
            }
          : {
              method: 'POST',
              target: '/config',
              headers: [JSON_CT],
              body: `{"_format_version":"3.0",${protoJson('{"polluted":true}').slice(1, -1)},"services":[{"name":"x","host":${JSON.stringify(rng.pick(HOSTILE_VALUES))},"zz":1}]}`,
            };
  return { family: `declarative ${which}`, req };
}

function hostilePath(rng: Rng): AdminCase {
  const seg = () =>
    rng.pick([
      pct(rng.string()),
      '%00',
      '%ff%fe',
      '..%2F..%2Fetc%2Fpasswd',
      '..',
      'a'.repeat(2000 + rng.int(3000)),
      '__proto__',
      'constructor',
      'prototype',
      '%',
      '%zz',
      '%C0%AF',
      rng
        .bytes(8)
        .toString('latin1')
        .replace(/[\r\n ]/g, '_'),
    ]);
  const shapes = [
    () => `/${rng.pick(FAMILIES)}/${seg()}`,
    () => `/${seg()}`,
    () =>
      `/${rng.pick(FAMILIES)}/${seg()}/${rng.pick(['routes', 'plugins', 'targets', 'key-auth'])}/${seg()}`,
    () => `/schemas/${seg()}`,
    () => `/schemas/plugins/${seg()}`,
    () => `//${rng.pick(FAMILIES)}//`,
    () => `/${rng.pick(FAMILIES)}/${seg()}/${seg()}/${seg()}/${seg()}`,
  ];
  const method = rng.pick(['GET', 'GET', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH']);
  const body = method === 'PATCH' ? `{${invalidFieldTail(rng)}}` : undefined;
  return {
    family: `path ${method}`,
    req: { method, target: rng.pick(shapes)(), ...(body ? { headers: [JSON_CT], body } : {}) },
  };
}

function hostileQuery(rng: Rng): AdminCase {
  const queries = [
    '__proto__[polluted]=1',
    'constructor[prototype][polluted]=1',
    '__proto__.polluted=1',
    `size=${rng.pick(['1e400', '-0', '0x10', '1001', '', '%00', 'NaN', '9'.repeat(300)])}`,
    `offset=${rng.pick(['%ff', pct(rng.string()), 'a'.repeat(5000), '=='])}`,
    `tags=${pct(rng.string(200))}`,
    Array.from({ length: 3000 }, (_, i) => `t${i}=${i}`).join('&'),
    `format=yaml&format=json&format[]=x`,
    `size[]=1&size[x]=2`,
    '&&&==&%',
  ];
  const target = rng.pick([
    '/services',
    '/routes',
    '/plugins',
    '/consumers',
    '/config',
    '/',
    '/status',
    '/tags/x',
    '/upstreams/some-name/targets',
  ]);
  return { family: 'query', req: { method: 'GET', target: `${target}?${rng.pick(queries)}` } };
}

function hostileHeaders(rng: Rng): AdminCase {
  const method = writeMethod(rng);
  const target = entityPath(rng, method);
  const body = `{"name":"x",${invalidFieldTail(rng)}}`;
  const variants: [string, RawRequest][] = [
    ['content type xml', { method, target, headers: [['content-type', 'application/xml']], body }],
    ['content type html', { method, target, headers: [['content-type', 'text/html']], body }],
    [
      'content type utf-16',
      {
        method,
        target,
        headers: [['content-type', 'application/json; charset=utf-16']],
        body: Buffer.from(body, 'utf16le'),
      },
    ],
    ['no content type', { method, target, body }],
    ['gzip claimed', { method, target, headers: [JSON_CT, ['content-encoding', 'gzip']], body }],
    [
      'conflicting lengths',
      {
        method,
        target,
        headers: [JSON_CT, ['content-length', '3'], ['content-length', '7']],
        body,
        noContentLength: true,
      },
    ],
    [
      'te and cl',
      {
        method,
        target,
        headers: [JSON_CT, ['transfer-encoding', 'chunked'], ['content-length', '4']],
        body: '0\r\n\r\n',
        noContentLength: true,
      },
    ],
    [
      'short length',
      { method, target, headers: [JSON_CT, ['content-length', '2']], body, noContentLength: true },
    ],
    ['huge header', { method: 'GET', target: '/services', headers: [['x-big', 'a'.repeat(70_000)]] }],
    [
      'many headers',
      {
        method: 'GET',
        target: '/',
        headers: Array.from({ length: 3000 }, (_, i) => [`x-h${i}`, 'v'] as [string, string]),
      },
    ],
    ['nul in header', { method: 'GET', target: '/', headers: [['x-nul', 'a\u0000b']] }],
    ['bad method', { method: rng.pick(['PROPFIND', 'TRACE', 'get', 'FOO', 'CONNECT']), target: '/services' }],
    [
      'wrong accept',
      { method: 'GET', target: '/config', headers: [['accept', 'application/yaml, */*;q=0'.repeat(50)]] },
    ],
  ];
  const [kind, req] = rng.pick(variants);
  return { family: `headers ${kind}`, req };
}

const GENERATORS = [
  jsonBody,
  jsonBody,
  formBody,
  multipartBody,
  declarativeBody,
  hostilePath,
  hostileQuery,
  hostileHeaders,
];

/** The next hostile request. */
export function nextAdminCase(rng: Rng): AdminCase {
  return rng.pick(GENERATORS)(rng);
}
