import type { HostPort, ListenAddress } from './types.js';
import { InvalidValue, isHost, quote, splitList, type ValueType } from './value-types.js';

/**
 * `*_listen` properties (`0.0.0.0:8443 http2 ssl reuseport backlog=16384, [::1]:8001`) and remote
 * endpoints (`cluster_control_plane = cp.example.com:8005`).
 */

// nginx flags Kong accepts that have no meaning for a Node listener: accepted (a Kong conf keeps
// working) with a warning, rather than refused.
const IGNORED_FLAGS = new Set(['deferred', 'bind']);
const IGNORED_FLAG_PREFIXES = ['ipv6only=', 'so_keepalive='];

/** Splits `host:port` (IPv6 in brackets); `portRequired` false gives port 0 when none is written. */
export function splitHostPort(raw: string, portRequired = true, minPort = 0): HostPort {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0 && raw.indexOf(':') !== colon) {
      throw new InvalidValue(`${quote(raw)} has an IPv6 address without brackets`);
    }
    host = colon >= 0 ? raw.slice(0, colon) : raw;
    portText = colon >= 0 ? raw.slice(colon + 1) : undefined;
  }
  if (host === '*') host = '0.0.0.0';
  if (!isHost(host)) throw new InvalidValue(`${quote(raw)} has an invalid host`);
  if (portText === undefined) {
    if (portRequired) throw new InvalidValue(`${quote(raw)} has no port`);
    return { host, port: 0 };
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= minPort && port <= 65535)) throw new InvalidValue(`${quote(raw)} has an invalid port`);
  return { host, port };
}

/** Parses one listener entry: an address followed by flags. */
export function parseListenEntry(entry: string, warn: (msg: string) => void): ListenAddress {
  const [addr = '', ...flags] = entry.split(/\s+/);
  const { host, port } = splitHostPort(addr);
  const out: ListenAddress = {
    host,
    port,
    ssl: false,
    http2: false,
    proxyProtocol: false,
    reusePort: false,
    backlog: null,
  };
  for (const flag of flags) {
    if (flag === 'ssl') out.ssl = true;
    else if (flag === 'http2') out.http2 = true;
    else if (flag === 'proxy_protocol') out.proxyProtocol = true;
    else if (flag === 'reuseport') out.reusePort = true;
    else if (flag.startsWith('backlog=')) {
      const n = flag.slice('backlog='.length);
      if (!/^\d{1,9}$/.test(n) || Number(n) < 1) throw new InvalidValue(`${quote(flag)} is not a valid backlog`);
      out.backlog = Number(n);
    } else if (IGNORED_FLAGS.has(flag) || IGNORED_FLAG_PREFIXES.some((p) => flag.startsWith(p))) {
      warn(`flag ${flag} of ${addr} has no effect in hybridgate and is ignored`);
    } else {
      throw new InvalidValue(`${quote(flag)} is not a listener flag (in ${quote(entry)})`);
    }
  }
  return out;
}

/** A `*_listen` property: `off` or a comma list of listeners. */
export const listen: ValueType<ListenAddress[]> = {
  expected: 'off or a comma-separated list of <host>:<port> [ssl] [http2] [proxy_protocol] [reuseport] [backlog=N]',
  parse(raw, ctx) {
    const trimmed = raw.trim();
    if (trimmed === 'off') return [];
    if (trimmed === '') throw new InvalidValue('an empty value is not allowed (use off to disable)');
    return splitList(trimmed).map((entry) => {
      if (entry === '') throw new InvalidValue(`${quote(trimmed)} has an empty entry`);
      return parseListenEntry(entry, (msg) => ctx.warn(`${ctx.key}: ${msg}`));
    });
  },
};

/**
 * `cluster_control_plane` (ours: Kong takes one address): one or more `host:port`, comma-separated, in
 * the order a DP tries them (several CPs sharing one database, without a load balancer in front).
 */
export const hostPortList: ValueType<[HostPort, ...HostPort[]]> = {
  expected: 'one or more <host>:<port>, comma-separated',
  parse(raw, ctx) {
    if (raw.trim() === '') throw new InvalidValue('an empty value is not allowed');
    const seen = new Set<string>();
    const out = splitList(raw.trim()).map((part, i) => {
      if (part === '') throw new InvalidValue(`item ${i + 1} is empty`);
      const hp = hostPort.parse(part, ctx);
      const key = `${hp.host.toLowerCase()}:${hp.port}`;
      if (seen.has(key)) throw new InvalidValue(`${quote(part)} is listed twice`);
      seen.add(key);
      return hp;
    });
    return out as [HostPort, ...HostPort[]];
  },
};

/** A remote `host:port` (port 1-65535). */
export const hostPort: ValueType<HostPort> = {
  expected: '<host>:<port>',
  parse(raw) {
    if (raw === '') throw new InvalidValue('an empty value is not allowed');
    if (/\s|^[a-z]+:\/\//i.test(raw)) throw new InvalidValue(`${quote(raw)} is not a bare host:port`);
    return splitHostPort(raw, true, 1);
  },
};
