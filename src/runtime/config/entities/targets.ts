import { z } from 'zod';
import type { EntityDefinition, ValidationContext } from './definition.js';
import { baseFields, foreignKey, intBetween, isHostname, isIPv4, isIPv6, tags } from './fields.js';

/** The port Kong gives a target written without one. */
export const DEFAULT_TARGET_PORT = 8000;

/**
 * Normalises `host[:port]` to Kong's stored form `host:port` (IPv6 as `[addr]:port`), or returns null
 * when it is not a valid hostname/IP with an optional port.
 */
export function normalizeTarget(target: string): string | null {
  let hostPart = target;
  let port: number = DEFAULT_TARGET_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (bracketed) {
    if (!isIPv6(bracketed[1] as string)) return null;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
    return port <= 65535 ? `[${bracketed[1] as string}]:${port}` : null;
  }
  if (isIPv6(target)) return `[${target}]:${port}`;
  const m = /^([^:]+):(\d+)$/.exec(target);
  if (m) {
    hostPart = m[1] as string;
    port = Number(m[2]);
  }
  if (port > 65535 || !(isIPv4(hostPart) || isHostname(hostPart))) return null;
  return `${hostPart}:${port}`;
}

function prepareTarget(input: Record<string, unknown>, ctx: ValidationContext): Record<string, unknown> {
  if (typeof input.target !== 'string') return input;
  const normalized = normalizeTarget(input.target);
  if (normalized === null) {
    ctx.addIssue(['target'], `Invalid target ('${input.target}'); not a valid hostname or ip address`);
    return input;
  }
  return { ...input, target: normalized };
}

const schema = z.strictObject({
  ...baseFields(),
  upstream: foreignKey(),
  target: z.string(),
  weight: intBetween(0, 65535).default(100),
  tags: tags(),
});

/** Kong's `targets`: a `host:port` an upstream balances over, with a weight. */
export const targetsDefinition: EntityDefinition = {
  name: 'targets',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: [],
  compositeUnique: ['upstream', 'target'],
  foreignKeys: [{ field: 'upstream', references: 'upstreams', onDelete: 'cascade' }],
  tags: true,
  prepare: prepareTarget,
};
