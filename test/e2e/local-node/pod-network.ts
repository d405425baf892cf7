import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { leftovers } from './last-resort.js';

const run = promisify(execFile);

/** Every name the local node gives to a network object starts with this (hack/e2e-cleanup.sh relies on it). */
export const RUN_PREFIX = 'hg';

/** A failed `ip` command: the arguments and what it printed. */
export class PodNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PodNetworkError';
  }
}

/** Runs `ip <args>`; throws PodNetworkError naming the command and its stderr. */
export async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PodNetworkError(`ip ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, {
      cause: err,
    });
  }
}

/** One pod's network: its namespace, address and the host end of its veth. */
export interface PodInterface {
  netns: string;
  ip: string;
  hostVeth: string;
}

/** The range this run may use: 10.250.<n>.0/24 (RFC 1918, and rarely used by anything else). */
const RANGE_BASE = '10.250';

/**
 * One bridge per run with a /24 of its own (host side .1, pods .2 to .254), each pod in a network
 * namespace joined to the bridge by a veth pair. Nothing is routed or NATed outside the bridge:
 * pods reach the host (the apiserver, upstream test servers) and each other, nothing else.
 */
export class PodNetwork {
  /** Addresses in use, by last octet. */
  private readonly used = new Set<number>();
  private readonly pods = new Map<string, PodInterface>();
  private counter = 0;
  private destroyed = false;

  private constructor(
    /** The run's 4-hex id, part of every name. */
    readonly runId: string,
    /** The bridge device (hgbr<id>). */
    readonly bridge: string,
    /** "10.250.<n>" */
    private readonly subnet: string,
  ) {}

  /** The host's address on the bridge (pods' default route; what they reach the host at). */
  get hostAddress(): string {
    return `${this.subnet}.1`;
  }

  /** The run's range, e.g. 10.250.17.0/24. */
  get cidr(): string {
    return `${this.subnet}.0/24`;
  }

  /** Picks a free /24 (checked against every address and route on the host) and creates the bridge. */
  static async create(runId: string): Promise<PodNetwork> {
    const taken = await takenRanges();
    const candidates = Array.from({ length: 256 }, (_, i) => i).filter(
      (n) => !taken.some((t) => overlaps(t, `${RANGE_BASE}.${n}.0`, 24)),
    );
    if (!candidates.length)
      throw new PodNetworkError(`no free /24 in ${RANGE_BASE}.0.0/16 on this host (every one overlaps)`);
    const n = candidates[randomInt(candidates.length)]!;
    const net = new PodNetwork(runId, `${RUN_PREFIX}br${runId}`, `${RANGE_BASE}.${n}`);
    await ip(['link', 'add', net.bridge, 'type', 'bridge']);
    leftovers.add('links', net.bridge);
    try {
      await ip(['addr', 'add', `${net.hostAddress}/24`, 'dev', net.bridge]);
      await ip(['link', 'set', net.bridge, 'up']);
    } catch (err) {
      await ip(['link', 'del', net.bridge]).catch(() => {});
      throw err;
    }
    return net;
  }

  /** Creates the namespace and veth of pod `key` (idempotent per key) with lo up and a default route. */
  async addPod(key: string): Promise<PodInterface> {
    const existing = this.pods.get(key);
    if (existing) return existing;
    if (this.destroyed) throw new PodNetworkError('pod network is destroyed');
    let octet = 2;
    while (this.used.has(octet) && octet < 255) octet++;
    if (octet >= 255) throw new PodNetworkError(`no free address left in ${this.cidr}`);
    this.used.add(octet);
    const seq = ++this.counter;
    const pod: PodInterface = {
      netns: `${RUN_PREFIX}${this.runId}-p${seq}`,
      ip: `${this.subnet}.${octet}`,
      hostVeth: `${RUN_PREFIX}v${this.runId}${seq}`,
    };
    this.pods.set(key, pod);
    leftovers.add('netns', pod.netns);
    leftovers.add('links', pod.hostVeth);
    try {
      await ip(['netns', 'add', pod.netns]);
      await ip(['link', 'add', pod.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
      await ip(['link', 'set', pod.hostVeth, 'master', this.bridge, 'up']);
      await ip(['-n', pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
      await ip(['-n', pod.netns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', pod.netns, 'route', 'add', 'default', 'via', this.hostAddress]);
    } catch (err) {
      await this.removePod(key);
      throw err;
    }
    return pod;
  }

  /** Deletes the pod's namespace (which takes its veth pair with it) and frees its address. */
  async removePod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    await ip(['netns', 'del', pod.netns]).catch(() => {});
    await ip(['link', 'del', pod.hostVeth]).catch(() => {});
    leftovers.delete('netns', pod.netns);
    leftovers.delete('links', pod.hostVeth);
    this.used.delete(Number(pod.ip.split('.')[3]));
  }

  /** Removes every pod namespace, then the bridge; safe to call twice. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const key of [...this.pods.keys()]) await this.removePod(key);
    await ip(['link', 'del', this.bridge]).catch(() => {});
    leftovers.delete('links', this.bridge);
  }
}

/** Every IPv4 network the host has an address on or a route to, as [address, prefix length]. */
async function takenRanges(): Promise<[string, number][]> {
  const addrs = JSON.parse(await ip(['-j', '-4', 'addr'])) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const routes = JSON.parse(await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst: string }[];
  const out: [string, number][] = [];
  for (const link of addrs) for (const a of link.addr_info ?? []) out.push([a.local, a.prefixlen]);
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const [net, len] = r.dst.split('/');
    out.push([net!, len === undefined ? 32 : Number(len)]);
  }
  return out;
}

function toInt(addr: string): number {
  return addr.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

/** Whether network a/alen and b/blen share any address (the shorter prefix decides). */
function overlaps([a, alen]: [string, number], b: string, blen: number): boolean {
  const len = Math.min(alen, blen);
  if (len === 0) return false; // a default route covers everything but claims nothing
  const mask = len === 32 ? 0xffffffff : (~0 << (32 - len)) >>> 0;
  return (toInt(a) & mask) >>> 0 === (toInt(b) & mask) >>> 0;
}
