/** A bound listener address; `ssl` is absent for listeners that are always TLS (cluster). */
export interface BoundListener {
  host: string;
  port: number;
  ssl?: boolean;
}

/**
 * Names every bound address for `RunningNode.addresses` and the "node started" log line:
 * `<group>` or `<group>_ssl`, with `_2`, `_3`... when a group binds several addresses of one kind
 * (`proxy`, `proxy_ssl`, `admin`, `status`, `cluster`).
 */
export function listenerAddresses(
  groups: Record<string, readonly BoundListener[]>,
): Record<string, { host: string; port: number }> {
  const out: Record<string, { host: string; port: number }> = {};
  for (const [group, addresses] of Object.entries(groups)) {
    for (const { host, port, ssl } of addresses) {
      const base = ssl ? `${group}_ssl` : group;
      let name = base;
      for (let i = 2; name in out; i++) name = `${base}_${i}`;
      out[name] = { host, port };
    }
  }
  return out;
}
