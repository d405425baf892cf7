import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { errorMessage } from '../../shared/errors.js';
import {
  DEFAULT_SHARED_CERT_DAYS,
  generateSharedClusterCertificate,
} from '../../runtime/pki/shared-cluster-cert.js';

/** Inputs of `hybrid gen_cert` after parsing. */
export interface GenCertArgs {
  cert?: string;
  key?: string;
  days: number;
  force: boolean;
}

/** Where output goes (injectable for tests). */
export interface GenCertIo {
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `hybridgate hybrid gen_cert [--days N] [--force] [CERT KEY]` (Kong's `kong hybrid gen_cert`): writes the
 * shared-mode certificate and key, refusing to overwrite existing files without --force. Returns the
 * exit code.
 */
export function runHybridGenCert(args: GenCertArgs, io: GenCertIo): number {
  if ((args.cert === undefined) !== (args.key === undefined)) {
    io.err('give both CERT and KEY paths, or neither (defaults: ./cluster.crt ./cluster.key)');
    return 1;
  }
  const certPath = resolve(io.cwd, args.cert ?? 'cluster.crt');
  const keyPath = resolve(io.cwd, args.key ?? 'cluster.key');
  if (certPath === keyPath) {
    io.err(`CERT and KEY must be different files, both are ${certPath}`);
    return 1;
  }
  if (!args.force) {
    for (const p of [certPath, keyPath]) {
      if (existsSync(p)) {
        io.err(`${p} already exists; pass --force to overwrite it`);
        return 1;
      }
    }
  }
  try {
    const pair = generateSharedClusterCertificate({ days: args.days });
    // The key is written 0600 from its first byte; chmod covers a pre-existing file under --force.
    writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    writeFileSync(certPath, pair.certPem, { mode: 0o644 });
    chmodSync(certPath, 0o644);
  } catch (err) {
    io.err(`unable to write the cluster certificate: ${errorMessage(err)}`);
    return 1;
  }
  io.out(`cluster certificate written to ${certPath} and key to ${keyPath} (valid ${args.days} days)`);
  return 0;
}

function parseDays(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 36500) {
    throw new InvalidArgumentError(`--days must be an integer from 1 to 36500, got "${v}"`);
  }
  return Number(v);
}

/** The `hybrid` command with its `gen_cert` subcommand, for src/cli/main.ts to add to the program. */
export function hybridCommand(io?: Partial<GenCertIo>): Command {
  const hybrid = new Command('hybrid').description('hybrid mode utilities');
  hybrid
    .command('gen_cert')
    .description('generate the shared-mode cluster certificate and key (EC P-384, CN kong_clustering)')
    .argument('[cert]', 'certificate output path (default ./cluster.crt)')
    .argument('[key]', 'key output path (default ./cluster.key)')
    .option('--days <n>', 'validity in days', parseDays, DEFAULT_SHARED_CERT_DAYS)
    .option('--force', 'overwrite existing files', false)
    .action((cert: string | undefined, key: string | undefined, o: { days: number; force: boolean }) => {
      const code = runHybridGenCert(
        { cert, key, days: o.days, force: o.force },
        {
          cwd: io?.cwd ?? process.cwd(),
          out: io?.out ?? ((l) => process.stdout.write(`${l}\n`)),
          err: io?.err ?? ((l) => process.stderr.write(`${l}\n`)),
        },
      );
      if (code !== 0) process.exitCode = code;
    });
  return hybrid;
}
