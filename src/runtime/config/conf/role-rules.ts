import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PROPERTIES, PROPERTY_NAMES } from './properties.js';
import type { Conf, PemValue } from './types.js';

/**
 * Checks across properties, run once every property has parsed: what each role requires or forbids
 * (Kong's conf_loader rules), and that certificates and keys belong together. Each rule returns its
 * problems; the loader reports them all at once. A rule whose inputs failed to parse is skipped, so a
 * bad value is reported once, not again as "missing".
 */

/** What the rules see: the parsed values, which keys failed, and which were set by the user. */
export interface RuleInput {
  conf: Conf;
  failed: ReadonlySet<string>;
  explicit: ReadonlySet<string>;
}

/** The problems found: errors stop the node, warnings are logged. */
export interface RuleResult {
  errors: string[];
  warnings: string[];
}

type Rule = (input: RuleInput, out: RuleResult) => void;

function ok(input: RuleInput, ...keys: (keyof Conf)[]): boolean {
  return keys.every((k) => !input.failed.has(k));
}

/** The first certificate of a PEM value (the leaf of a chain). */
function leafCertificate(v: PemValue): X509Certificate {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(v.pem)?.[0] ?? v.pem;
  return new X509Certificate(block);
}

/** Whether `key` is the private half of `cert`'s public key. */
export function keyMatchesCertificate(cert: PemValue, key: PemValue): boolean {
  try {
    return leafCertificate(cert).checkPrivateKey(createPrivateKey(key.pem));
  } catch {
    return false;
  }
}

function describe(v: PemValue): string {
  return v.path ?? '<inline PEM>';
}

const dataPlane: Rule = ({ conf, failed }, out) => {
  if (conf.role !== 'data_plane') return;
  if (!failed.has('database') && conf.database !== 'off') {
    out.errors.push(
      `database: "${conf.database}" is not allowed when role = data_plane; data planes keep no database (hint: set database = off)`,
    );
  }
  if (!failed.has('proxy_listen') && conf.proxy_listen.length === 0) {
    out.errors.push('proxy_listen: must not be off when role = data_plane (expected at least one listener)');
  }
};

const controlPlane: Rule = (input, out) => {
  const { conf, failed } = input;
  if (conf.role !== 'control_plane') return;
  if (!failed.has('database') && conf.database === 'off') {
    out.errors.push('database: "off" is not allowed when role = control_plane (expected lmdb or postgres)');
  }
  if (!failed.has('cluster_listen') && conf.cluster_listen.length === 0) {
    out.errors.push('cluster_listen: must not be off when role = control_plane (expected at least one listener)');
  }
  if (!failed.has('admin_listen') && conf.admin_listen.length === 0) {
    out.errors.push('admin_listen: must not be off when role = control_plane (expected at least one listener)');
  }
  if (ok(input, 'cluster_mtls', 'cluster_ca_cert') && conf.cluster_mtls === 'pki' && !conf.cluster_ca_cert) {
      out.errors.push('cluster_ca_cert: is required when role = control_plane and cluster_mtls = pki (expected the root CA)');
  }
};

const clusterCertificate: Rule = ({ conf, failed }, out) => {
  if (failed.has('role') || conf.role === 'traditional') return;
  for (const key of ['cluster_cert', 'cluster_cert_key'] as const) {
    if (!failed.has(key) && conf[key] === null) {
      out.errors.push(
        `${key}: is required when role = ${conf.role} (expected a path, PEM content or base64 PEM; see hybridgate hybrid gen_cert)`,
      );
    }
  }
};

const certificatePairs: Rule = (input, out) => {
  const { conf } = input;
  if (ok(input, 'cluster_cert', 'cluster_cert_key') && conf.cluster_cert && conf.cluster_cert_key) {
    if (!keyMatchesCertificate(conf.cluster_cert, conf.cluster_cert_key)) {
      out.errors.push(
        `cluster_cert_key: does not match cluster_cert ${describe(conf.cluster_cert)} (expected the private key of that certificate)`,
      );
    }
  }
  for (const [certKey, keyKey] of [
    ['ssl_cert', 'ssl_cert_key'],
    ['admin_ssl_cert', 'admin_ssl_cert_key'],
  ] as const) {
    if (!ok(input, certKey, keyKey)) continue;
    const certs = conf[certKey];
    const keys = conf[keyKey];
    if (certs.length !== keys.length) {
      out.errors.push(
        `${keyKey}: ${keys.length} keys for ${certs.length} certificates in ${certKey} (expected one key per certificate, in the same order)`,
      );
      continue;
    }
    certs.forEach((cert, i) => {
      if (!keyMatchesCertificate(cert, keys[i]!)) {
        out.errors.push(
          `${keyKey}: key ${i + 1} does not match ${certKey} ${describe(cert)} (expected the private key of that certificate)`,
        );
      }
    });
  }
};

const reconnectBounds: Rule = (input, out) => {
  const { conf } = input;
  if (ok(input, 'cluster_reconnect_base', 'cluster_reconnect_cap') && conf.cluster_reconnect_cap < conf.cluster_reconnect_base) {
    out.errors.push(
      `cluster_reconnect_cap: ${conf.cluster_reconnect_cap} is smaller than cluster_reconnect_base ${conf.cluster_reconnect_base} (expected cap >= base)`,
    );
  }
};

// Properties a role does not use: a warning (the value is ignored), or an error where Kong refuses it.
const misplacedProperties: Rule = ({ conf, failed, explicit }, out) => {
  if (failed.has('role')) return;
  for (const key of PROPERTY_NAMES) {
    const spec = PROPERTIES[key];
    if (!spec.roles || spec.roles.includes(conf.role) || !explicit.has(key)) continue;
    const roles = spec.roles.join(' or ');
    if (spec.elsewhere === 'error') {
      out.errors.push(`${key}: is not allowed when role = ${conf.role} (expected only when role = ${roles})`);
    } else {
      out.warnings.push(`${key} is only used when role = ${roles} (role is ${conf.role}); ignored`);
    }
  }
};

const declarativeWithDatabase: Rule = (input, out) => {
  const { conf } = input;
  if (ok(input, 'declarative_config', 'database') && conf.declarative_config && conf.database !== 'off') {
    out.warnings.push(`declarative_config is only read when database = off (database is ${conf.database}); ignored`);
  }
};

const adminAuth: Rule = (input, out) => {
  const { conf } = input;
  if (!ok(input, 'admin_auth', 'admin_auth_tokens_file') || conf.admin_auth !== 'token') return;
  if (conf.role === 'data_plane') return;
  if (!conf.admin_auth_tokens_file) {
    out.errors.push(
      'admin_auth_tokens_file: required when admin_auth = token (expected the path of a file with one token per line)',
    );
  }
};

/** The rules, in the order their messages are reported. */
export const ROLE_RULES: readonly Rule[] = [
  dataPlane,
  controlPlane,
  clusterCertificate,
  certificatePairs,
  reconnectBounds,
  misplacedProperties,
  declarativeWithDatabase,
  adminAuth,
];

/** Runs every rule. */
export function checkRoleRules(input: RuleInput): RuleResult {
  const out: RuleResult = { errors: [], warnings: [] };
  for (const rule of ROLE_RULES) rule(input, out);
  return out;
}
