import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Certificate authorities made by the `openssl` CLI (issue 5: the matrix must come from third-party
 * tooling). Each CA is a directory `openssl ca` manages (index.txt, serial), so the same index serves
 * `openssl ocsp -index` and `openssl ca -revoke`. Keys are EC P-256 to keep the suites fast.
 */

/** Runs openssl; on failure the error carries its stderr. */
export function openssl(args: string[], opts: { cwd?: string; input?: string } = {}): string {
  try {
    return execFileSync('openssl', args, {
      cwd: opts.cwd,
      input: opts.input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** A certificate and its key on disk. */
export interface IssuedCert {
  cert: string;
  key: string;
  /** Leaf followed by the issuing intermediates (what a node puts in cluster_cert). */
  chain: string;
}

/** What a leaf is made with. */
export interface LeafOptions {
  cn: string;
  /** `serverAuth`, `clientAuth`, both, or none (no EKU extension). */
  eku?: ('serverAuth' | 'clientAuth')[] | null;
  dns?: string[];
  ip?: string[];
  /** openssl ca -startdate/-enddate (YYMMDDHHMMSSZ); default now-1h .. +30 days. */
  startdate?: string;
  enddate?: string;
  ocspUrl?: string;
  keyType?: 'ec' | 'rsa';
  /** More extension lines for the openssl extfile (e.g. `extendedKeyUsage=OCSPSigning`). */
  extraExt?: string[];
}

/** openssl's YYMMDDHHMMSSZ for a date. */
export function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

const CA_CONF = (dir: string) => `[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
[ dn ]
`;

/** One CA directory: its certificate, key, the chain above it, and issuing operations. */
export class OpensslCa {
  readonly cert: string;
  readonly key: string;
  /** This CA followed by the intermediates above it, excluding the root (appended to leaf chains). */
  readonly chainAbove: string;

  private constructor(
    readonly dir: string,
    readonly name: string,
    chainAbove: string,
  ) {
    this.cert = join(dir, 'ca.crt');
    this.key = join(dir, 'ca.key');
    this.chainAbove = chainAbove;
  }

  private static prepare(base: string, name: string): string {
    const dir = join(base, name);
    mkdirSync(join(dir, 'newcerts'), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    writeFileSync(
      join(dir, 'serial'),
      `${(1000 + Math.floor(Math.random() * 1e6)).toString(16).padStart(6, '0')}\n`,
    );
    writeFileSync(join(dir, 'ca.cnf'), CA_CONF(dir));
    return dir;
  }

  /** A self-signed root CA (the seeds' example calls theirs "Hybrid Root CA"). */
  static root(base: string, name: string, cn = name): OpensslCa {
    const dir = OpensslCa.prepare(base, name);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'ca.key')]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'ca.key'),
      '-sha256',
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      join(dir, 'ca.crt'),
    ]);
    return new OpensslCa(dir, name, '');
  }

  /** An intermediate CA issued by this one. */
  intermediate(base: string, name: string): OpensslCa {
    const dir = OpensslCa.prepare(base, name);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'ca.key')]);
    const csr = join(dir, 'ca.csr');
    openssl(['req', '-new', '-key', join(dir, 'ca.key'), '-subj', `/CN=${name}`, '-out', csr]);
    const ext = join(dir, 'ca.ext');
    writeFileSync(
      ext,
      '[ v3 ]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    this.sign(
      csr,
      join(dir, 'ca.crt'),
      ext,
      asn1Time(new Date(Date.now() - 3600_000)),
      asn1Time(new Date(Date.now() + 3650 * 86400_000)),
    );
    const mine = readFileSync(join(dir, 'ca.crt'), 'utf8');
    // The root is not part of what a node sends; intermediates are.
    return new OpensslCa(dir, name, mine + this.chainAbove);
  }

  private sign(csr: string, out: string, ext: string, startdate: string, enddate: string): void {
    openssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(this.dir, 'ca.cnf'),
      '-cert',
      this.cert,
      '-keyfile',
      this.key,
      '-in',
      csr,
      '-out',
      out,
      '-extfile',
      ext,
      '-extensions',
      'v3',
      '-startdate',
      startdate,
      '-enddate',
      enddate,
    ]);
  }

  /** A node certificate issued by this CA; `chain` holds it and the intermediates up to the root. */
  issue(base: string, file: string, o: LeafOptions): IssuedCert {
    const key = join(base, `${file}.key`);
    const cert = join(base, `${file}.crt`);
    const csr = join(base, `${file}.csr`);
    if (o.keyType === 'rsa')
      openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
    else openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    openssl(['req', '-new', '-key', key, '-subj', `/CN=${o.cn}`, '-out', csr]);
    const lines = [
      '[ v3 ]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
    ];
    const eku = o.eku === undefined ? [] : o.eku;
    if (eku && eku.length > 0) lines.push(`extendedKeyUsage=${eku.join(',')}`);
    const sans = [...(o.dns ?? []).map((d) => `DNS:${d}`), ...(o.ip ?? []).map((i) => `IP:${i}`)];
    if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
    if (o.ocspUrl) lines.push(`authorityInfoAccess=OCSP;URI:${o.ocspUrl}`);
    lines.push(...(o.extraExt ?? []));
    lines.push('subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid');
    const ext = join(base, `${file}.ext`);
    writeFileSync(ext, lines.join('\n') + '\n');
    this.sign(
      csr,
      cert,
      ext,
      o.startdate ?? asn1Time(new Date(Date.now() - 3600_000)),
      o.enddate ?? asn1Time(new Date(Date.now() + 30 * 86400_000)),
    );
    const chain = join(base, `${file}.chain.crt`);
    writeFileSync(chain, readFileSync(cert, 'utf8') + this.chainAbove);
    return { cert, key, chain };
  }

  /** Marks a certificate this CA issued as revoked in its index (what `openssl ocsp -index` answers). */
  revoke(cert: string): void {
    openssl([
      'ca',
      '-config',
      join(this.dir, 'ca.cnf'),
      '-cert',
      this.cert,
      '-keyfile',
      this.key,
      '-revoke',
      cert,
    ]);
  }

  /** The CA's index file for `openssl ocsp -index`. */
  get index(): string {
    return join(this.dir, 'index.txt');
  }
}
