import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConf } from '../../src/runtime/config/conf/load-conf.js';
import { PROPERTY_NAMES } from '../../src/runtime/config/conf/properties.js';
import { ConfError } from '../../src/runtime/errors.js';
import { mutateText } from './mutate.js';
import { assertPrototypesClean, createRng, FUZZ_SEED, POLLUTING_KEYS, type Rng } from './prng.js';

/**
 * The conf loader under mutated conf files and hostile environment maps: every load ends in a Conf or
 * in one ConfError listing its problems (`context.problems`, each with a message); never another
 * exception. Replay: HG_FUZZ_SEED.
 */

const FILE_CASES = 700;
const ENV_CASES = 500;

const dir = mkdtempSync(join(tmpdir(), 'hg-conf-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED_CONF = `# a traditional node
role = traditional
prefix = ${dir}/prefix
log_level = info
database = lmdb
plugins = bundled, key-auth
proxy_listen = 127.0.0.1:8000 reuseport backlog=128, 127.0.0.1:8443 http2 ssl
admin_listen = 127.0.0.1:8001
status_listen = off
trusted_ips = 10.0.0.0/8, ::1
headers = server_tokens, latency_tokens
nginx_http_client_max_body_size = 8m
lmdb_map_size = 128m
pg_password = a-planted-secret   # a comment
pg_port = 5432
admin_auth = off
cluster_ping_interval = 30
`;

const INSERTS = [
  '=',
  ' = ',
  '\\#',
  '#',
  '\n',
  '\r\n',
  '\u0000',
  '\ufeff',
  ',',
  ', ,',
  ' ssl',
  ' backlog=-1',
  ':99999',
  '[::1]',
  '-1',
  '1e309',
  'off',
  'on',
  '${HOME}',
  '\\',
  '"',
  '\u4e2d',
  '__proto__ = x\n',
  'constructor = y\n',
];

// Values that are wrong for most properties and right for some.
const VALUES = [
  '',
  ' ',
  'off',
  'on',
  '0',
  '-1',
  '65536',
  '1e400',
  '9'.repeat(40),
  'abc',
  '127.0.0.1:0',
  '[::1]:8001 ssl http2',
  '0.0.0.0:80 proxy_protocol backlog=x',
  'bundled',
  'bundled, nope',
  'a:b,c:d',
  'x'.repeat(10_000),
  'relative/path',
  '/nonexistent/cert.pem',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
  '\u0000',
  '\ud800',
  '10m',
  '10x',
];

function hostileEnv(rng: Rng): Record<string, string> {
  const env: Record<string, string> = {};
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.85) ? rng.pick(PROPERTY_NAMES) : rng.pick([...POLLUTING_KEYS, rng.string(8)]);
    const prefix = rng.pick(['KONG_', 'HYBRIDGATE_']);
    env[`${prefix}${key.toUpperCase()}`] = rng.pick(VALUES);
  }
  return env;
}

function classify(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (!(err instanceof ConfError))
      return `${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 200)}`;
    const problems = err.context.problems;
    const wellFormed =
      Array.isArray(problems) &&
      problems.length > 0 &&
      problems.every((p: { message?: unknown }) => typeof p.message === 'string');
    return wellFormed ? 'conf error' : `ConfError without problems: ${err.message.slice(0, 200)}`;
  }
}

describe(`conf loader fuzz (seed ${FUZZ_SEED})`, () => {
  it('loads the seed conf', () => {
    const file = join(dir, 'seed.conf');
    writeFileSync(file, SEED_CONF);
    expect(classify(() => loadConf({ file, env: {}, cwd: dir }))).toBe('ok');
  });

  it(`ends ${FILE_CASES} mutated conf files and ${ENV_CASES} hostile env maps in a Conf or a ConfError`, () => {
    const rng = createRng(FUZZ_SEED);
    const failures: string[] = [];
    const tally = { ok: 0, confError: 0 };
    const file = join(dir, 'case.conf');
    const started = Date.now();
    for (let i = 0; i < FILE_CASES + ENV_CASES; i++) {
      let run: () => unknown;
      let what: string;
      if (i < FILE_CASES) {
        let { text, what: w } = mutateText(rng, SEED_CONF, INSERTS);
        for (let extra = rng.int(3); extra > 0; extra--) {
          const again = mutateText(rng, text, INSERTS);
          text = again.text;
          w = `${w}; ${again.what}`;
        }
        // Written as bytes: a lone surrogate or latin1 garbage reaches the reader as invalid UTF-8.
        writeFileSync(file, Buffer.from(text, rng.chance(0.2) ? 'latin1' : 'utf8'));
        run = () => loadConf({ file, env: {}, cwd: dir });
        what = w;
      } else {
        const env = hostileEnv(rng);
        const overrides = rng.chance(0.3) ? { [rng.pick(PROPERTY_NAMES)]: rng.pick(VALUES) } : {};
        run = () => loadConf({ env, overrides, cwd: dir });
        what = `env ${JSON.stringify({ ...env, ...overrides }).slice(0, 160)}`;
      }
      const outcome = classify(run);
      if (outcome === 'ok') tally.ok++;
      else if (outcome === 'conf error') tally.confError++;
      else failures.push(`case ${i} (${what}): ${outcome}`);
    }
    const cases = FILE_CASES + ENV_CASES;
    console.info(
      `conf fuzz seed=${FUZZ_SEED} cases=${cases} ms=${Date.now() - started} ${JSON.stringify(tally)}`,
    );
    expect(failures).toEqual([]);
    assertPrototypesClean();
  });

  it('never echoes a secret property in its error messages', () => {
    const secret = 'planted-secret-value-1234';
    for (const key of ['pg_password', 'cluster_cert_key', 'admin_ssl_cert_key', 'ssl_cert_key']) {
      let message = '';
      try {
        loadConf({ env: {}, overrides: { [key]: `${secret}\u0000`, pg_port: 'nope' }, cwd: dir });
      } catch (err) {
        message = (err as Error).message + JSON.stringify((err as ConfError).context);
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(secret);
    }
  });
});
