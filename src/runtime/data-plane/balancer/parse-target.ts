/** A target's `host[:port]` split apart; IPv6 in brackets. Kong's default target port is 8000. */
export function parseTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const close = target.indexOf(']');
    if (close < 0) return { host: target, port: 8000 };
    const port = target.charCodeAt(close + 1) === 58 ? Number(target.slice(close + 2)) : 8000;
    return { host: target.slice(1, close), port };
  }
  const colon = target.indexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon < 0 || target.indexOf(':', colon + 1) >= 0) return { host: target, port: 8000 };
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}
