import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DbError } from '../../errors.js';
import { configHashes } from '../hash.js';
import { exportDeclarative, loadDeclarativeFile, parseDeclarative, validateDeclarativeConfig } from './index.js';

const NESTED = `
_format_version: "3.0"
_comment: demo
services:
  - name: echo
    url: http://echo.internal:8080/base
    routes:
      - name: echo-route
        paths: [/echo]
        plugins:
          - name: key-auth
    plugins:
      - name: rate-limiting
        config: { minute: 10 }
upstreams:
  - name: echo.internal
    targets:
      - target: 10.0.0.1
      - target: "[::1]:9000"
        weight: 5
consumers:
  - username: alice
    keyauth_credentials:
      - key: secret-key
    basicauth_credentials:
      - username: alice
        password: pw
    acls:
      - group: admins
`;

function declarativeError(fn: () => unknown): DbError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).kind).toBe('DECLARATIVE_CONFIG');
    expect((err as DbError).toBody().code).toBe(14);
    return err as DbError;
  }
  throw new Error('expected a declarative config error');
}

describe('parseDeclarative', () => {
  it('flattens nested entities with implicit references and filled defaults', () => {
    const c = parseDeclarative(NESTED);
    expect(Object.keys(c)).toEqual([
      '_format_version',
      '_transform',
      'services',
      'routes',
      'upstreams',
      'targets',
      'consumers',
      'keyauth_credentials',
      'basicauth_credentials',
      'acls',
      'plugins',
    ]);
    const svc = c.services?.[0];
    expect(svc).toMatchObject({ name: 'echo', host: 'echo.internal', port: 8080, path: '/base', retries: 5 });
    expect(c.routes?.[0]).toMatchObject({ name: 'echo-route', service: { id: svc?.id }, strip_path: true });
    const plugins = c.plugins ?? [];
    expect(plugins.find((p) => p.name === 'key-auth')).toMatchObject({ route: { id: c.routes?.[0]?.id }, service: null });
    expect(plugins.find((p) => p.name === 'rate-limiting')).toMatchObject({
      service: { id: svc?.id },
      config: { minute: 10, policy: 'local', limit_by: 'consumer' },
    });
    expect(c.targets?.map((t) => t.target).sort()).toEqual(['10.0.0.1:8000', '[::1]:9000']);
    const consumer = c.consumers?.[0];
    expect(c.acls?.[0]).toMatchObject({ group: 'admins', consumer: { id: consumer?.id } });
    // sha1("pw" + consumer id), as Kong stores basic-auth passwords.
    expect(c.basicauth_credentials?.[0]?.password).toMatch(/^[0-9a-f]{40}$/);
    expect(c.services?.[0]).not.toHaveProperty('created_at');
  });

  it('gives the same ids and hash on every load, and round-trips through export', () => {
    const a = parseDeclarative(NESTED);
    const b = parseDeclarative(NESTED);
    expect(b).toEqual(a);
    expect(configHashes(b)).toEqual(configHashes(a));
    const again = validateDeclarativeConfig(JSON.parse(JSON.stringify(exportDeclarative(a))));
    expect(again).toEqual(a);
    // _transform: false — the already-hashed password is not hashed twice.
    expect(again.basicauth_credentials?.[0]?.password).toBe(a.basicauth_credentials?.[0]?.password);
  });

  it('resolves flat references by name and by id, in JSON too', () => {
    const json = JSON.stringify({
      _format_version: '3.0',
      services: [{ id: '3e0c9c52-8f7a-4b6e-9d1e-2f4a5b6c7d8e', name: 's1', host: 'a.internal' }, { name: 's2', host: 'b.internal' }],
      routes: [
        { name: 'r1', paths: ['/1'], service: 's2' },
        { name: 'r2', paths: ['/2'], service: { id: '3e0c9c52-8f7a-4b6e-9d1e-2f4a5b6c7d8e' } },
      ],
      plugins: [{ name: 'cors', route: 'r1' }],
    });
    const c = parseDeclarative(json);
    const s2 = c.services?.find((s) => s.name === 's2');
    expect(c.routes?.find((r) => r.name === 'r1')?.service).toEqual({ id: s2?.id });
    expect(c.routes?.find((r) => r.name === 'r2')?.service).toEqual({ id: '3e0c9c52-8f7a-4b6e-9d1e-2f4a5b6c7d8e' });
    expect(c.plugins?.[0]?.route).toEqual({ id: c.routes?.find((r) => r.name === 'r1')?.id });
  });

  it('reports missing references and schema errors at their document path', () => {
    const e = declarativeError(() =>
      parseDeclarative(`
_format_version: "3.0"
services:
  - name: s
    host: h.internal
    routes:
      - paths: [/ok]
      - paths: [nope]
routes:
  - name: lost
    paths: [/x]
    service: ghost
`),
    );
    expect(e.context.errors).toEqual([
      { path: 'services[0].routes[1].paths[0]', message: 'should start with: / (fixed path) or ~/ (regex path)' },
      { path: 'routes[0].service', message: "invalid reference 'service: ghost' (no such entry in 'services')" },
    ]);
    expect(e.fields).toEqual({
      services: [{ routes: [null, { paths: ['should start with: / (fixed path) or ~/ (regex path)'] }] }],
      routes: [{ service: "invalid reference 'service: ghost' (no such entry in 'services')" }],
    });
    expect(e.message).toMatch(/^declarative config is invalid: services\[0\]\.routes\[1\]\.paths\[0\]: should start with/);
  });

  it('refuses duplicates across the document', () => {
    const e = declarativeError(() =>
      parseDeclarative(`
_format_version: "3.0"
services:
  - { name: dup, host: a.internal }
  - { name: dup, host: b.internal }
upstreams:
  - name: u.internal
    targets: [{ target: "a:80" }, { target: "a:80", weight: 1 }]
`),
    );
    const errors = e.context.errors as { path: string; message: string }[];
    expect(errors).toContainEqual({
      path: 'services[1].id',
      message: expect.stringContaining("uniqueness violation: 'services' entity with primary key"),
    });
    expect(errors.some((x) => x.path === 'upstreams[0].targets[1]' && x.message.includes('(upstream, target)'))).toBe(true);
  });

  it('requires _format_version and refuses unknown top-level keys', () => {
    expect(declarativeError(() => parseDeclarative('services: []')).context.errors).toEqual([
      { path: '_format_version', message: 'required field missing' },
    ]);
    expect(declarativeError(() => parseDeclarative('_format_version: "9.9"\nfoo: 1')).context.errors).toEqual([
      { path: '_format_version', message: 'expected one of: 1.1, 2.1, 3.0' },
      { path: 'foo', message: 'unknown field' },
    ]);
    expect(parseDeclarative('_format_version: "3.0"\n_workspace: default')).toEqual({ _format_version: '3.0', _transform: false });
  });

  it('migrates 1.1/2.1 regex paths to the ~ prefix', () => {
    const c = parseDeclarative(`
_format_version: "1.1"
services:
  - name: s
    host: h.internal
    routes:
      - name: r
        paths: [/plain/path, "/users/\\\\d+"]
`);
    expect(c._format_version).toBe('3.0');
    expect(c.routes?.[0]?.paths).toEqual(['/plain/path', '~/users/\\d+']);
  });

  it('reports YAML syntax errors with line and column', () => {
    const e = declarativeError(() => parseDeclarative('_format_version: "3.0"\nservices:\n  - name: [unclosed\n', { source: 'kong.yaml' }));
    expect(e.context.line).toBe(4);
    expect(typeof e.context.column).toBe('number');
    expect(e.message).toMatch(/^failed parsing declarative configuration: .*\(line \d+, column \d+\) in kong\.yaml$/);
  });

  it('refuses plugins that are not enabled', () => {
    const e = declarativeError(() =>
      parseDeclarative('_format_version: "3.0"\nplugins: [{ name: cors }]', { enabledPlugins: ['key-auth'] }),
    );
    expect(e.context.errors).toEqual([
      { path: 'plugins[0].name', message: "plugin 'cors' not enabled; add it to the 'plugins' configuration property" },
    ]);
  });

  it('requires key-auth credentials to carry their key (a generated one would be unstable or guessable)', () => {
    const e = declarativeError(() =>
      parseDeclarative('_format_version: "3.0"\nconsumers: [{ username: bob, keyauth_credentials: [{}] }]', {}),
    );
    expect(e.context.errors).toEqual([
      {
        path: 'consumers[0].keyauth_credentials[0].key',
        message: 'required field missing (a declarative key-auth credential must carry its key)',
      },
    ]);
  });
});

describe('loadDeclarativeFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hg-declarative-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    const file = join(dir, 'kong.yaml');
    writeFileSync(file, NESTED);
    expect((await loadDeclarativeFile(file)).services).toHaveLength(1);
    await expect(loadDeclarativeFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ kind: 'DECLARATIVE_CONFIG' });
  });
});
