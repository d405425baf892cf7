import type { IncomingMessage } from 'node:http';
import type { TrustedIps } from './trusted-ips.js';

/** Headers never copied from the client: hop-by-hop ones and those the proxy sets itself. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** What the forwarding headers are computed from, besides the request itself. */
export interface ForwardInput {
  scheme: 'http' | 'https';
  /** Host header to send upstream. */
  upstreamHost: string;
  /** The request's host without port (X-Forwarded-Host default). */
  requestHost: string;
  path: string;
  /** The part of the path strip_path removed, or null. */
  strippedPrefix: string | null;
  via: string | null;
  /** Keep Upgrade/Connection (WebSocket handshakes). */
  upgrade: boolean;
}

/**
 * Builds the upstream request's header list (flat [name, value, ...], the form undici and raw writes
 * take): the client's headers minus hop-by-hop ones, then Host, Kong's X-Forwarded-* set and X-Real-IP.
 * Incoming X-Forwarded-* values are honoured only from trusted_ips, as Kong does; X-Forwarded-For is
 * always appended to.
 */
export function buildUpstreamHeaders(
  req: IncomingMessage,
  fwd: ForwardInput,
  trusted: TrustedIps,
  realIpHeader: string,
): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let connectionTokens: string[] | null = null;
  const h = req.headers;
  if (typeof h.connection === 'string' && h.connection.includes(',')) {
    connectionTokens = h.connection
      .toLowerCase()
      .split(',')
      .map((t) => t.trim());
  } else if (typeof h.connection === 'string') {
    const t = h.connection.toLowerCase();
    if (t !== 'keep-alive' && t !== 'close' && t !== 'upgrade') connectionTokens = [t];
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (DROPPED.has(lower) || (connectionTokens !== null && connectionTokens.includes(lower))) continue;
    out.push(name, raw[i + 1]!);
  }
  const peer = req.socket.remoteAddress ?? '';
  const isTrusted = trusted.trusts(peer);
  const incoming = (name: string): string | undefined => {
    if (!isTrusted) return undefined;
    const v = h[name];
    return typeof v === 'string' ? v : undefined;
  };
  const xff = h['x-forwarded-for'];
  const priorXff = typeof xff === 'string' ? xff : Array.isArray(xff) ? xff.join(', ') : undefined;
  out.push('host', fwd.upstreamHost);
  out.push('x-forwarded-for', priorXff !== undefined ? `${priorXff}, ${peer}` : peer);
  out.push('x-forwarded-proto', incoming('x-forwarded-proto') ?? fwd.scheme);
  out.push('x-forwarded-host', incoming('x-forwarded-host') ?? fwd.requestHost);
  out.push('x-forwarded-port', incoming('x-forwarded-port') ?? String(req.socket.localPort ?? ''));
  out.push('x-forwarded-path', incoming('x-forwarded-path') ?? fwd.path);
  const prefix = incoming('x-forwarded-prefix') ?? fwd.strippedPrefix;
  if (prefix !== null && prefix !== '') out.push('x-forwarded-prefix', prefix);
  out.push('x-real-ip', realClientIp(req, isTrusted, realIpHeader) ?? peer);
  if (fwd.via !== null) out.push('via', fwd.via);
  if (fwd.upgrade) {
    out.push('connection', 'Upgrade');
    const up = h.upgrade;
    if (typeof up === 'string') out.push('upgrade', up);
  }
  return out;
}

/**
 * The client address per real_ip_header when the peer is trusted (nginx realip, non-recursive: the
 * last address of X-Forwarded-For), otherwise undefined (the peer address stands).
 */
export function realClientIp(
  req: IncomingMessage,
  isTrusted: boolean,
  realIpHeader: string,
): string | undefined {
  if (!isTrusted) return undefined;
  const v = req.headers[realIpHeader];
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v[v.length - 1] : undefined;
  if (s === undefined || s === '') return undefined;
  const comma = s.lastIndexOf(',');
  return (comma < 0 ? s : s.slice(comma + 1)).trim() || undefined;
}
