/**
 * `hybridgate pki` (issue 5 tooling): the certificates it makes verify with openssl for the right
 * purpose, and openssl's and ours chain into each other in both directions, including over a real
 * PKI-mode cluster connection.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { CliExit, type CliContext } from '../../src/cli/cli-context.js';
import { pkiCommand } from '../../src/cli/commands/pki.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { tempDir } from '../cluster/helpers.js';
import { openssl, OpensslCa } from './helpers/openssl-ca.js';
import { attempt, pem, startTestCp } from './helpers/pki-cluster.js';

const { dir, cleanup } = tempDir('hg-pki-cli-');
afterAll(cleanup);

/** Runs `hybridgate pki ...` in process; resolves with the exit code and the printed lines. */
async function pki(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    cwd: dir,
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
  } as unknown as CliContext;
  const program = new Command('hybridgate');
  program.addCommand(pkiCommand(ctx));
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['pki', ...args], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, out, err };
    if (e instanceof CommanderError) return { code: e.exitCode, out, err };
    throw e;
  }
}

const p = (f: string) => join(dir, f);
const verify = (ca: string, untrusted: string | null, purpose: string, cert: string) =>
  openssl([
    'verify',
    '-CAfile',
    ca,
    ...(untrusted ? ['-untrusted', untrusted] : []),
    '-purpose',
    purpose,
    cert,
  ]).trim();

describe('hybridgate pki', () => {
  it('makes a root, an intermediate, a CP and a DP certificate that openssl verifies for their purpose', async () => {
    expect((await pki('create-ca', '--out', 'ca.crt', '--key-out', 'ca.key')).code).toBe(0);
    expect(
      (
        await pki(
          'create-intermediate',
          '--ca-cert',
          'ca.crt',
          '--ca-key',
          'ca.key',
          '--cn',
          'Hybrid Intermediate',
          '--out',
          'int.crt',
          '--key-out',
          'int.key',
          '--key-type',
          'ec-p384',
        )
      ).code,
    ).toBe(0);
    const cp = await pki(
      'create-cert',
      '--server',
      '--ca-cert',
      'int.crt',
      '--ca-key',
      'int.key',
      '--cn',
      'control-plane.kong.yourcorp.tld',
      '--san',
      'control-plane.kong.yourcorp.tld',
      '--san',
      'alt.kong.yourcorp.tld,IP:127.0.0.1',
      '--out',
      'cp.crt',
      '--key-out',
      'cp.key',
    );
    expect(cp).toMatchObject({ code: 0, out: [expect.stringContaining('server certificate written to')] });
    expect(
      (
        await pki(
          'create-cert',
          '--client',
          '--ca-cert',
          'int.crt',
          '--ca-key',
          'int.key',
          '--cn',
          'whatever-dp',
          '--key-type',
          'rsa-2048',
          '--ocsp-url',
          'http://127.0.0.1:9/',
          '--out',
          'dp.crt',
          '--key-out',
          'dp.key',
        )
      ).code,
    ).toBe(0);

    // The node files hold the leaf and the intermediate, as cluster_cert expects.
    expect(pem(p('cp.crt')).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(verify(p('ca.crt'), p('int.crt'), 'sslserver', p('cp.crt'))).toBe(`${p('cp.crt')}: OK`);
    expect(verify(p('ca.crt'), p('int.crt'), 'sslclient', p('dp.crt'))).toBe(`${p('dp.crt')}: OK`);
    expect(() => verify(p('ca.crt'), p('int.crt'), 'sslclient', p('cp.crt'))).toThrow(
      /unsuitable certificate purpose/,
    );
    const cpText = openssl(['x509', '-in', p('cp.crt'), '-noout', '-text']);
    expect(cpText).toContain('TLS Web Server Authentication');
    expect(cpText).toContain(
      'DNS:control-plane.kong.yourcorp.tld, DNS:alt.kong.yourcorp.tld, IP Address:127.0.0.1',
    );
    const dpText = openssl(['x509', '-in', p('dp.crt'), '-noout', '-text']);
    expect(dpText).toContain('TLS Web Client Authentication');
    expect(dpText).toContain('Public-Key: (2048 bit)');
    expect(dpText).toContain('OCSP - URI:http://127.0.0.1:9/');
    expect(openssl(['x509', '-in', p('int.crt'), '-noout', '-text'])).toContain('NIST CURVE: P-384');
    expect(openssl(['x509', '-in', p('ca.crt'), '-noout', '-subject']).trim()).toBe(
      'subject=CN = Hybrid Root CA',
    );
    expect(openssl(['pkey', '-in', p('dp.key'), '-noout', '-text']).length).toBeGreaterThan(0);
  });

  it('interoperates with openssl both ways, over a real PKI-mode connection too', async () => {
    // openssl root -> our intermediate -> openssl leaf (CP); our root -> openssl-signed leaf (DP) would
    // need an openssl CA dir, so the DP side is: openssl root -> our DP certificate.
    const sslRoot = OpensslCa.root(dir, 'ssl-root', 'OpenSSL Root');
    expect(
      (
        await pki(
          'create-intermediate',
          '--ca-cert',
          sslRoot.cert,
          '--ca-key',
          sslRoot.key,
          '--cn',
          'Ours Under OpenSSL',
          '--out',
          'mixed-int.crt',
          '--key-out',
          'mixed-int.key',
        )
      ).code,
    ).toBe(0);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('mixed-cp.key')]);
    openssl([
      'req',
      '-new',
      '-key',
      p('mixed-cp.key'),
      '-subj',
      '/CN=control-plane.kong.yourcorp.tld',
      '-out',
      p('mixed-cp.csr'),
    ]);
    writeFileSync(
      p('mixed-cp.ext'),
      'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:control-plane.kong.yourcorp.tld\n',
    );
    openssl([
      'x509',
      '-req',
      '-in',
      p('mixed-cp.csr'),
      '-CA',
      p('mixed-int.crt'),
      '-CAkey',
      p('mixed-int.key'),
      '-CAcreateserial',
      '-days',
      '5',
      '-extfile',
      p('mixed-cp.ext'),
      '-out',
      p('mixed-cp-leaf.crt'),
    ]);
    writeFileSync(p('mixed-cp.crt'), pem(p('mixed-cp-leaf.crt')) + pem(p('mixed-int.crt')));
    expect(verify(sslRoot.cert, p('mixed-int.crt'), 'sslserver', p('mixed-cp-leaf.crt'))).toBe(
      `${p('mixed-cp-leaf.crt')}: OK`,
    );
    expect(
      (
        await pki(
          'create-cert',
          '--client',
          '--ca-cert',
          sslRoot.cert,
          '--ca-key',
          sslRoot.key,
          '--cn',
          'dp-ours',
          '--out',
          'mixed-dp.crt',
          '--key-out',
          'mixed-dp.key',
        )
      ).code,
    ).toBe(0);
    expect(verify(sslRoot.cert, null, 'sslclient', p('mixed-dp.crt'))).toBe(`${p('mixed-dp.crt')}: OK`);

    const cp = await startTestCp(
      createPkiTlsPolicy({
        certPem: pem(p('mixed-cp.crt')),
        keyPem: pem(p('mixed-cp.key')),
        caPem: pem(sslRoot.cert),
      }),
    );
    try {
      const dpTls = createPkiTlsPolicy({
        certPem: pem(p('mixed-dp.crt')),
        keyPem: pem(p('mixed-dp.key')),
        caPem: pem(sslRoot.cert),
        serverName: 'control-plane.kong.yourcorp.tld',
      });
      expect(await attempt(cp, dpTls)).toEqual({ ok: true });
    } finally {
      await cp.close();
    }
  });

  it('refuses bad input with a clear message and exit code', async () => {
    expect((await pki('create-ca', '--out', 'dup.crt', '--key-out', 'dup.key')).code).toBe(0);
    expect(await pki('create-ca', '--out', 'dup.crt', '--key-out', 'dup.key')).toMatchObject({
      code: 1,
      err: [expect.stringMatching(/dup.crt already exists; pass --force/)],
    });
    expect((await pki('create-ca', '--out', 'dup.crt', '--key-out', 'dup.key', '--force')).code).toBe(0);
    const both = await pki(
      'create-cert',
      '--server',
      '--client',
      '--ca-cert',
      'dup.crt',
      '--ca-key',
      'dup.key',
      '--cn',
      'x',
    );
    expect(both).toMatchObject({ code: 1, err: [expect.stringContaining('exactly one of --server')] });
    const badSan = await pki(
      'create-cert',
      '--server',
      '--ca-cert',
      'dup.crt',
      '--ca-key',
      'dup.key',
      '--cn',
      'x',
      '--san',
      'IP:999.1.1.1',
      '--out',
      'bs.crt',
      '--key-out',
      'bs.key',
    );
    expect(badSan).toMatchObject({
      code: 1,
      err: [expect.stringContaining('IP:999.1.1.1 is not an IP address')],
    });
    const badKey = await pki('create-ca', '--key-type', 'dsa-1024', '--out', 'k.crt', '--key-out', 'k.key');
    expect(badKey.code).toBe(1);
    expect(badKey.err.join('')).toMatch(/Allowed choices are ec-p256, ec-p384, rsa-2048/);
    const wrongKey = await pki(
      'create-cert',
      '--client',
      '--ca-cert',
      'dup.crt',
      '--ca-key',
      'ca.key',
      '--cn',
      'x',
      '--out',
      'wk.crt',
      '--key-out',
      'wk.key',
    );
    expect(wrongKey).toMatchObject({ code: 1, err: [expect.stringContaining('CA key does not match')] });
    const notCa = await pki(
      'create-cert',
      '--client',
      '--ca-cert',
      'cp.crt',
      '--ca-key',
      'cp.key',
      '--cn',
      'x',
      '--out',
      'nc.crt',
      '--key-out',
      'nc.key',
    );
    expect(notCa).toMatchObject({ code: 1, err: [expect.stringContaining('is not a CA')] });
    const missing = await pki(
      'create-cert',
      '--client',
      '--ca-cert',
      'nope.crt',
      '--ca-key',
      'nope.key',
      '--cn',
      'x',
    );
    expect(missing).toMatchObject({
      code: 1,
      err: [expect.stringMatching(/--ca-cert .*nope.crt cannot be read/)],
    });
  });
});
