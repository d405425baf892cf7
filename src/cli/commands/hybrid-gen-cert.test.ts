import { describe, it, expect, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { hybridCommand, runHybridGenCert } from './hybrid-gen-cert.js';

let dir = '';
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});
function io() {
  dir = mkdtempSync(join(tmpdir(), 'hg-gencert-'));
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { cwd: dir, out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('hybrid gen_cert', () => {
  it('writes cluster.crt (0644) and cluster.key (0600) that openssl accepts, and refuses to overwrite', () => {
    const t = io();
    expect(runHybridGenCert({ days: 1095, force: false }, t.io)).toBe(0);
    const crt = join(dir, 'cluster.crt');
    const key = join(dir, 'cluster.key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(statSync(crt).mode & 0o777).toBe(0o644);
    expect(
      execFileSync('openssl', ['x509', '-in', crt, '-noout', '-subject'], { encoding: 'utf8' }),
    ).toContain('CN = kong_clustering');
    const keyMod = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
    expect(execFileSync('openssl', ['x509', '-in', crt, '-noout', '-pubkey'], { encoding: 'utf8' })).toBe(
      keyMod,
    );
    const before = readFileSync(crt, 'utf8');
    expect(runHybridGenCert({ days: 1095, force: false }, t.io)).toBe(1);
    expect(t.err.at(-1)).toMatch(/cluster\.crt already exists; pass --force/);
    expect(readFileSync(crt, 'utf8')).toBe(before);
    writeFileSync(key, 'old', { mode: 0o644 });
    expect(runHybridGenCert({ days: 10, force: true }, t.io)).toBe(0);
    expect(readFileSync(crt, 'utf8')).not.toBe(before);
    expect(statSync(key).mode & 0o777).toBe(0o600);
  });

  it('takes both paths or neither', () => {
    const t = io();
    expect(runHybridGenCert({ cert: 'a.crt', days: 1, force: false }, t.io)).toBe(1);
    expect(t.err[0]).toMatch(/both CERT and KEY/);
    expect(runHybridGenCert({ cert: 'a.crt', key: 'a.crt', days: 1, force: false }, t.io)).toBe(1);
    expect(runHybridGenCert({ cert: 'a.crt', key: 'a.key', days: 1, force: false }, t.io)).toBe(0);
    expect(statSync(join(dir, 'a.key')).mode & 0o777).toBe(0o600);
  });

  it('parses --days through commander and rejects nonsense', async () => {
    const t = io();
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    const hybrid = hybridCommand(t.io).exitOverride();
    for (const c of hybrid.commands) c.exitOverride().configureOutput({ writeErr: () => undefined });
    program.addCommand(hybrid);
    await program.parseAsync(['node', 'hybridgate', 'hybrid', 'gen_cert', '--days', '7', 'x.crt', 'x.key']);
    const end = execFileSync('openssl', ['x509', '-in', join(dir, 'x.crt'), '-noout', '-enddate'], {
      encoding: 'utf8',
    });
    expect(Math.round((Date.parse(end.split('=')[1]!) - Date.now()) / 86_400_000)).toBe(7);
    await expect(
      program.parseAsync(['node', 'hybridgate', 'hybrid', 'gen_cert', '--days', 'x']),
    ).rejects.toThrow(/--days must be an integer/);
  });
});
