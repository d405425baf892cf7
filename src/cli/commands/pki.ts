import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../../shared/errors.js';
import {
  createIntermediateCa,
  createNodeCertificate,
  createRootCa,
  KEY_TYPES,
  type IssuedPem,
  type IssuerPem,
  type KeyType,
} from '../../runtime/pki/issue-certificates.js';
import { CliExit, type CliContext } from '../cli-context.js';

/** Options every pki subcommand shares. */
interface OutputOptions {
  out: string;
  keyOut: string;
  days: number;
  keyType: KeyType;
  force: boolean;
}

function parseDays(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 36500) {
    throw new InvalidArgumentError(`--days must be an integer from 1 to 36500, got "${v}"`);
  }
  return Number(v);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Reads the issuing CA's files (--ca-cert may hold the CA followed by the intermediates above it). */
function readIssuer(cwd: string, cert: string, key: string): IssuerPem {
  const read = (p: string, what: string) => {
    const file = resolve(cwd, p);
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${what} ${file} cannot be read: ${errorMessage(err)}`, { cause: err });
    }
  };
  return { certPem: read(cert, '--ca-cert'), keyPem: read(key, '--ca-key') };
}

/** Writes the pair (key 0600 from its first byte, cert 0644), refusing to overwrite without --force. */
function writePair(ctx: CliContext, o: OutputOptions, pem: IssuedPem, what: string): void {
  const certPath = resolve(ctx.cwd, o.out);
  const keyPath = resolve(ctx.cwd, o.keyOut);
  if (certPath === keyPath)
    throw new Error(`--out and --key-out must be different files, both are ${certPath}`);
  if (!o.force) {
    for (const p of [certPath, keyPath]) {
      if (existsSync(p)) throw new Error(`${p} already exists; pass --force to overwrite it`);
    }
  }
  writeFileSync(keyPath, pem.keyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, pem.chainPem, { mode: 0o644 });
  chmodSync(certPath, 0o644);
  ctx.out(`${what} written to ${certPath} and key to ${keyPath} (${o.keyType}, valid ${o.days} days)`);
}

function withOutput(cmd: Command, defaults: { out: string; keyOut: string; days: number }): Command {
  return cmd
    .option('--out <file>', 'certificate output file (followed by its intermediates)', defaults.out)
    .option('--key-out <file>', 'private key output file', defaults.keyOut)
    .option('--days <n>', 'validity in days', parseDays, defaults.days)
    .addOption(new Option('--key-type <type>', 'key type').choices([...KEY_TYPES]).default('ec-p256'))
    .option('--force', 'overwrite existing files', false);
}

function withIssuer(cmd: Command): Command {
  return cmd
    .requiredOption('--ca-cert <file>', 'issuing CA certificate (it first, then any intermediates above it)')
    .requiredOption('--ca-key <file>', 'issuing CA private key');
}

/**
 * `hybridgate pki create-ca | create-intermediate | create-cert`: the PKI-mode certificates (seed 002):
 * a root CA for cluster_ca_cert, intermediates, and node certificates with the EKU each plane needs
 * (--server for a CP, --client for a DP) and SANs. Made with node:crypto; interchangeable with openssl's.
 */
export function pkiCommand(ctx: CliContext): Command {
  const pki = new Command('pki').description('create certificates for cluster_mtls = pki');
  const run = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      ctx.err(`Error: ${errorMessage(err)}`);
      throw new CliExit(1);
    }
  };
  withOutput(pki.command('create-ca').description('create a self-signed root CA (cluster_ca_cert)'), {
    out: 'ca.crt',
    keyOut: 'ca.key',
    days: 3650,
  })
    .option('--cn <name>', 'subject common name', 'Hybrid Root CA')
    .action((o: OutputOptions & { cn: string }) =>
      run(() => writePair(ctx, o, createRootCa({ cn: o.cn, days: o.days, keyType: o.keyType }), 'root CA')),
    );
  withIssuer(
    withOutput(
      pki.command('create-intermediate').description('create an intermediate CA signed by --ca-cert'),
      {
        out: 'intermediate.crt',
        keyOut: 'intermediate.key',
        days: 1825,
      },
    ),
  )
    .requiredOption('--cn <name>', 'subject common name')
    .option('--path-len <n>', 'basicConstraints pathLenConstraint', (v) => {
      if (!/^\d+$/.test(v))
        throw new InvalidArgumentError(`--path-len must be a non-negative integer, got "${v}"`);
      return Number(v);
    })
    .action((o: OutputOptions & { cn: string; caCert: string; caKey: string; pathLen?: number }) =>
      run(() =>
        writePair(
          ctx,
          o,
          createIntermediateCa({
            issuer: readIssuer(ctx.cwd, o.caCert, o.caKey),
            cn: o.cn,
            days: o.days,
            keyType: o.keyType,
            pathLength: o.pathLen,
          }),
          'intermediate CA',
        ),
      ),
    );
  withIssuer(
    withOutput(
      pki.command('create-cert').description('create a node certificate: --server (CP) or --client (DP)'),
      {
        out: 'cluster.crt',
        keyOut: 'cluster.key',
        days: 365,
      },
    ),
  )
    .requiredOption(
      '--cn <name>',
      "subject common name (a DP's is not checked; a CP's should be its server name)",
    )
    .option('--server', 'TLS Web Server Authentication (control plane)', false)
    .option('--client', 'TLS Web Client Authentication (data plane)', false)
    .option(
      '--san <name>',
      'subject alternative name: DNS:x, IP:y, URI:z or a bare name/address (repeatable, comma lists)',
      collect,
      [],
    )
    .option('--ocsp-url <url>', 'OCSP responder URI for the Authority Information Access extension')
    .action(
      (
        o: OutputOptions & {
          cn: string;
          caCert: string;
          caKey: string;
          server: boolean;
          client: boolean;
          san: string[];
          ocspUrl?: string;
        },
      ) =>
        run(() => {
          if (o.server === o.client)
            throw new Error('give exactly one of --server (control plane) or --client (data plane)');
          const usage = o.server ? 'server' : 'client';
          writePair(
            ctx,
            o,
            createNodeCertificate({
              issuer: readIssuer(ctx.cwd, o.caCert, o.caKey),
              cn: o.cn,
              usage,
              sans: o.san,
              ocspUrl: o.ocspUrl,
              days: o.days,
              keyType: o.keyType,
            }),
            `${usage} certificate`,
          );
        }),
    );
  return pki;
}
