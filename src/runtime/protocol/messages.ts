import { z } from 'zod';
import { CLOSE_CODES, CONFIG_HASH_PATTERN } from './constants.js';
import { ProtocolError } from './errors.js';

const hash = z.string().regex(CONFIG_HASH_PATTERN, 'expected 32 lower-case hex characters');

/** Sub-hashes per entity family, so a DP rebuilds only what changed (Kong's `hashes`). */
export const configHashesSchema = z.strictObject({
  config: hash,
  routes: hash,
  services: hash,
  plugins: hash,
  upstreams: hash,
  targets: hash,
  /**
   * Our extension: the hash of every family not named above (consumers, credentials, certificates...),
   * so a DP knows when to rebuild those indexes. Optional: a CP without it makes the DP rebuild them on
   * every change.
   */
  rest: hash.optional(),
});

/** The config hash and its per-family parts. */
export type ConfigHashes = z.infer<typeof configHashesSchema>;

/** A plugin a DP has loaded, with its handler version. */
export const pluginInfoSchema = z.strictObject({
  name: z.string().min(1).max(128),
  version: z.string().max(64).nullable(),
});

/** One entry of basic_info.plugins. */
export type PluginInfo = z.infer<typeof pluginInfoSchema>;

/** DP → CP, first frame: what the DP can run. `filters` is Kong's Wasm filter map, accepted and ignored. */
export const basicInfoSchema = z.strictObject({
  type: z.literal('basic_info'),
  plugins: z.array(pluginInfoSchema).max(1000),
  labels: z.record(z.string().min(1).max(63), z.string().max(63)).optional(),
  process_conf: z.record(z.string(), z.unknown()).optional(),
  filters: z.unknown().optional(),
});

/** The parsed basic_info frame. */
export type BasicInfo = z.infer<typeof basicInfoSchema>;

/** DP → CP (our extension, after basic_info): a pushed config failed validation or apply. */
export const errorReportSchema = z.strictObject({
  type: z.literal('error'),
  error: z.strictObject({
    name: z.string().min(1).max(200),
    message: z.string().max(10_000),
    config_hash: hash.nullable(),
    source: z.string().max(200).optional(),
    fields: z.unknown().optional(),
  }),
});

/** The parsed error frame. */
export type ErrorReport = z.infer<typeof errorReportSchema>;

/** CP → DP: the whole configuration, gzip-compressed on the wire. */
export const reconfigureSchema = z.strictObject({
  type: z.literal('reconfigure'),
  timestamp: z.number().finite(),
  config_table: z.record(z.string(), z.unknown()),
  config_hash: hash,
  hashes: configHashesSchema,
});

/** The parsed reconfigure message. */
export type Reconfigure = z.infer<typeof reconfigureSchema>;

function describe(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function parseJsonObject(data: Buffer, what: string, closeCode: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`${what} is not valid JSON`, closeCode, {}, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(`${what} must be a JSON object`, closeCode);
  }
  return value as Record<string, unknown>;
}

/** Validates the DP's first frame; anything else is a ProtocolError the CP closes with. */
export function parseBasicInfo(data: Buffer, isBinary: boolean): BasicInfo {
  const code = CLOSE_CODES.badBasicInfo;
  if (!isBinary) throw new ProtocolError('basic_info must be a binary frame', code);
  const obj = parseJsonObject(data, 'basic_info', code);
  if (obj.type !== 'basic_info') {
    throw new ProtocolError(`first frame must have type "basic_info", got ${JSON.stringify(obj.type)}`, code);
  }
  const res = basicInfoSchema.safeParse(obj);
  if (!res.success) throw new ProtocolError(`invalid basic_info: ${describe(res.error.issues)}`, code);
  return res.data;
}

/** Validates a DP frame after basic_info: only error reports are data frames (heartbeats are pings). */
export function parseDataPlaneFrame(data: Buffer, isBinary: boolean): ErrorReport {
  const code = CLOSE_CODES.unexpectedFrame;
  if (!isBinary) throw new ProtocolError('data planes send binary frames only', code);
  const obj = parseJsonObject(data, 'frame', code);
  if (obj.type !== 'error') {
    throw new ProtocolError(`unexpected frame type ${JSON.stringify(obj.type)} after basic_info`, code);
  }
  const res = errorReportSchema.safeParse(obj);
  if (!res.success) throw new ProtocolError(`invalid error frame: ${describe(res.error.issues)}`, code);
  return res.data;
}

/** Validates an inflated reconfigure message. */
export function parseReconfigure(obj: unknown): Reconfigure {
  const res = reconfigureSchema.safeParse(obj);
  if (!res.success) {
    throw new ProtocolError(
      `invalid reconfigure message: ${describe(res.error.issues)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  return res.data;
}

/** JSON-encodes a frame body (basic_info, error) as the bytes of a binary frame. */
export function encodeJsonFrame(message: BasicInfo | ErrorReport): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}
