import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { parseDeclarative, validateDeclarativeConfig } from '../../src/runtime/config/declarative/index.js';
import { DbError } from '../../src/runtime/errors.js';
import { mutateDocument, mutateText } from './mutate.js';
import { assertPrototypesClean, createRng, FUZZ_SEED } from './prng.js';

/**
 * The declarative loader under mutated documents: a valid seed (every family, nesting, references,
 * plugins on three levels) mutated structurally (validateDeclarativeConfig, what a pushed config goes
 * through) and as YAML/JSON text (parseDeclarative, what files and POST /config go through). Every
 * outcome must be a success or Kong's code 14 DbError listing `{ path, message }` problems; any other
 * exception (TypeError, RangeError, the YAML library's own errors) is a bug. Replay: HG_FUZZ_SEED.
 */

const SEED_DOC = {
  _format_version: '3.0',
  services: [
    {
      name: 'echo',
      url: 'http://echo.internal:8080/base',
      tags: ['a', 'b'],
      routes: [
        { name: 'echo-route', paths: ['/echo'], methods: ['GET'], plugins: [{ name: 'key-auth' }] },
        { name: 'by-host', hosts: ['h.example'], headers: { 'x-v': ['1'] } },
      ],
      plugins: [{ name: 'rate-limiting', config: { minute: 10, policy: 'local' } }],
    },
    { name: 'other', host: 'other.internal', port: 8443, protocol: 'https' },
  ],
  routes: [{ name: 'top', paths: ['/top'], service: 'other' }],
  upstreams: [
    { name: 'echo.internal', targets: [{ target: '10.0.0.1' }, { target: '[::1]:9000', weight: 5 }] },
  ],
  consumers: [
    {
      username: 'alice',
      keyauth_credentials: [{ key: 'a-secret-key-of-alice' }],
      basicauth_credentials: [{ username: 'alice', password: 'pw' }],
      acls: [{ group: 'admins' }],
      plugins: [{ name: 'request-transformer', config: { add: { headers: ['x-a:1'] } } }],
    },
  ],
  plugins: [{ name: 'cors', config: { origins: ['*'] } }],
};

const STRUCTURAL_CASES = 1000;
const TEXT_CASES = 400;
const TEXT_INSERTS = [
  '&a ',
  '*a',
  '!!binary ',
  '!!js/function ',
  '<<: *a\n',
  ': :',
  '- - -',
  '{',
  ']',
  '"',
  "'",
  '\t',
  '\u0000',
  '\ufeff',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '? ',
  '#',
  '\\u0000',
  '__proto__: {polluted: true}\n',
];

type Outcome = 'ok' | 'declarative error' | string;

/** Classifies one run: ok, a well-formed code 14 error, or a description of the bad outcome. */
function classify(run: () => unknown): Outcome {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (!(err instanceof DbError))
      return `${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 160)}`;
    if (err.kind !== 'DECLARATIVE_CONFIG') return `DbError of kind ${err.kind}: ${err.message.slice(0, 160)}`;
    const errors = err.context.errors;
    const wellFormed =
      Array.isArray(errors) &&
      errors.length > 0 &&
      errors.every(
        (e: { path?: unknown; message?: unknown }) =>
          typeof e.path === 'string' && typeof e.message === 'string',
      );
    return wellFormed ? 'declarative error' : `DbError without a path list: ${err.message.slice(0, 160)}`;
  }
}

describe(`declarative loader fuzz (seed ${FUZZ_SEED})`, () => {
  it('accepts the seed document', () => {
    expect(classify(() => validateDeclarativeConfig(structuredClone(SEED_DOC)))).toBe('ok');
  });

  it(`ends ${STRUCTURAL_CASES} structurally mutated documents in success or a code 14 error with paths`, () => {
    const rng = createRng(FUZZ_SEED);
    const failures: string[] = [];
    const tally = { ok: 0, error: 0 };
    const started = Date.now();
    for (let i = 0; i < STRUCTURAL_CASES; i++) {
      const { doc, what } = mutateDocument(rng, SEED_DOC);
      const outcome = classify(() => validateDeclarativeConfig(doc));
      if (outcome === 'ok') tally.ok++;
      else if (outcome === 'declarative error') tally.error++;
      else failures.push(`case ${i} (${what}): ${outcome}`);
    }
    console.info(
      `declarative structural fuzz seed=${FUZZ_SEED} cases=${STRUCTURAL_CASES} ms=${Date.now() - started} ${JSON.stringify(tally)}`,
    );
    expect(failures).toEqual([]);
    assertPrototypesClean();
  });

  it(`ends ${TEXT_CASES} mutated YAML and JSON texts in success or a code 14 error with paths`, () => {
    const rng = createRng(FUZZ_SEED + 1);
    const texts = [stringify(SEED_DOC), JSON.stringify(SEED_DOC, null, 1)];
    const failures: string[] = [];
    const tally = { ok: 0, error: 0 };
    const started = Date.now();
    for (let i = 0; i < TEXT_CASES; i++) {
      let { text, what } = mutateText(rng, rng.pick(texts), TEXT_INSERTS);
      if (rng.chance(0.3)) {
        const again = mutateText(rng, text, TEXT_INSERTS);
        text = again.text;
        what = `${what}; ${again.what}`;
      }
      const outcome = classify(() => parseDeclarative(text));
      if (outcome === 'ok') tally.ok++;
      else if (outcome === 'declarative error') tally.error++;
      else failures.push(`case ${i} (${what}): ${outcome}`);
    }
    console.info(
      `declarative text fuzz seed=${FUZZ_SEED} cases=${TEXT_CASES} ms=${Date.now() - started} ${JSON.stringify(tally)}`,
    );
    expect(failures).toEqual([]);
    assertPrototypesClean();
  });

  it('reports an unresolved YAML alias and an alias bomb as code 14', () => {
    expect(classify(() => parseDeclarative('_format_version: "3.0"\nservices: *nowhere\n'))).toBe(
      'declarative error',
    );
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(
        ['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${`*${'abcdefg'[i]}, `.repeat(10)}]`),
      )
      .join('\n');
    expect(classify(() => parseDeclarative(`_format_version: "3.0"\n${bomb}\n`))).toBe('declarative error');
  });
});
