import type { IncomingMessage } from 'node:http';

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
  /** Whether the peer is in trusted_ips (its X-Forwarded-* values are then honoured). */
  trusted: boolean;
  /** X-Real-IP: the real_ip_header address when trusted, else the peer's. */
  realIp: string;
  /**
   * The header map plugins left (lower-cased names); when given, the upstream headers come from it
   * instead of the client's raw list (names then go out lower-cased).
   */
  source?: Readonly<Record<string, string | string[] | undefined>>;
}

// Connection tokens name extra hop-by-hop headers; the common values name none.
function connectionTokens(h: IncomingMessage['headers']): string[] | null {
  const c = h.connection;
  if (typeof c !== 'string') return null;
  if (c.includes(','))
    return c
      .toLowerCase()
      .split(',')
      .map((t) => t.trim());
  const t = c.toLowerCase();
  return t === 'keep-alive' || t === 'close' || t === 'upgrade' ? null : [t];
}

/**
 * Builds the upstream request's header list (flat [name, value, ...], the form undici and raw writes
 * take): the client's headers minus hop-by-hop ones, then Host, Kong's X-Forwarded-* set and X-Real-IP.
 * Incoming X-Forwarded-* values are honoured only from trusted_ips, as Kong does; X-Forwarded-For is
 * always appended to.
 */
export function buildUpstreamHeaders(req: IncomingMessage, fwd: ForwardInput): string[] {
  const out: string[] = [];
  const h = req.headers;
  const tokens = connectionTokens(h);
  const src = fwd.source;
  if (src === undefined) {
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const lower = name.toLowerCase();
      if (DROPPED.has(lower) || (tokens !== null && tokens.includes(lower))) continue;
      out.push(name, raw[i + 1]!);
    }
  } else {
    for (const name in src) {
      const v = src[name];
      if (v === undefined || DROPPED.has(name) || (tokens !== null && tokens.includes(name))) continue;
      if (typeof v === 'string') out.push(name, v);
      else for (let i = 0; i < v.length; i++) out.push(name, v[i]!);
    }
  }
  const peer = req.socket.remoteAddress ?? '';
  const isTrusted = fwd.trusted;
  const incoming = (name: string): string | undefined => {
    if (!isTrusted) return undefined;
    const v = h[name];
    return typeof v === 'string' ? v : undefined;
  };
  const xff = h['x-forwarded-for'];
  const priorXff = typeof xff === 'string' ? xff : Array.isArray(xff) ? xff.join(', ') : undefined;
  out.push(
    'host',
    fwd.upstreamHost,
    'x-forwarded-for',
    priorXff !== undefined ? `${priorXff}, ${peer}` : peer,
    'x-forwarded-proto',
    incoming('x-forwarded-proto') ?? fwd.scheme,
    'x-forwarded-host',
    incoming('x-forwarded-host') ?? fwd.requestHost,
    'x-forwarded-port',
    incoming('x-forwarded-port') ?? String(req.socket.localPort ?? ''),
    'x-forwarded-path',
    incoming('x-forwarded-path') ?? fwd.path,
  );
  const prefix = incoming('x-forwarded-prefix') ?? fwd.strippedPrefix;
  if (prefix !== null && prefix !== '') out.push('x-forwarded-prefix', prefix);
  out.push('x-real-ip', fwd.realIp);
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
