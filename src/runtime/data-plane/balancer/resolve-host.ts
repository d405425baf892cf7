import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Resolves a hostname to its addresses (injectable: tests resolve names without DNS). */
export type HostResolver = (host: string) => Promise<string[]>;

/** The default resolver: the system's resolver via dns.lookup (hosts file, then DNS), all addresses. */
export const systemResolver: HostResolver = async (host) => {
  if (isIP(host) !== 0) return [host];
  const list = await lookup(host, { all: true, verbatim: true });
  return [...new Set(list.map((a) => a.address))];
};
