import { z } from 'zod';
import { CLOSE_CODES } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { basicInfoSchema, configHashesSchema } from '../messages.js';

/** The protocol v2 endpoint (incremental sync); a CP without it answers 404 and the DP uses v1. */
export const OUTLET_V2_PATH = '/v2/outlet';

const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * DP → CP, first v2 frame: v1's basic_info plus the CP config version the DP last applied (0: none) and
 * the hash it runs, so a DP whose version matches but whose config does not (a CP store rebuilt from
 * scratch) still gets a snapshot.
 */
export const basicInfoV2Schema = basicInfoSchema.extend({
  applied_version: version,
  applied_hash: configHashesSchema.shape.config,
});

/** The parsed v2 basic_info. */
export type BasicInfoV2 = z.infer<typeof basicInfoV2Schema>;

/** One entity change of a delta: the entity as exported for DPs after the change, null for a delete. */
export const deltaChangeSchema = z.strictObject({
  op: z.enum(['upsert', 'delete']),
  family: z.string().min(1).max(64),
  id: z.string().min(1).max(256),
  entity: z.record(z.string(), z.unknown()).nullable(),
});

/** One entry of delta.changes. */
export type DeltaChange = z.infer<typeof deltaChangeSchema>;

/** CP → DP (gzip): the changes that turn the config at `from_version` into the one at `to_version`. */
export const deltaSchema = z
  .strictObject({
    type: z.literal('delta'),
    timestamp: z.number().finite(),
    from_version: version,
    to_version: version,
    changes: z.array(deltaChangeSchema),
    config_hash: configHashesSchema.shape.config,
    hashes: configHashesSchema,
  })
  .refine((d) => d.to_version > d.from_version, 'to_version must be greater than from_version')
  .refine((d) => d.changes.every((c) => (c.op === 'delete') === (c.entity === null)), {
    message: 'an upsert carries its entity and a delete carries null',
  });

/** The parsed delta message. */
export type Delta = z.infer<typeof deltaSchema>;

/** CP → DP (gzip): a full snapshot, v1's reconfigure plus the config version it is. */
export const snapshotV2Schema = z.strictObject({
  type: z.literal('reconfigure'),
  timestamp: z.number().finite(),
  version,
  config_table: z.record(z.string(), z.unknown()),
  config_hash: configHashesSchema.shape.config,
  hashes: configHashesSchema,
});

/** The parsed v2 snapshot. */
export type SnapshotV2 = z.infer<typeof snapshotV2Schema>;

/**
 * CP → DP (gzip): one of `count` consecutive parts of a snapshot too large for one frame; the DP
 * concatenates the families' lists in part order.
 */
export const snapshotPartSchema = z
  .strictObject({
    type: z.literal('snapshot_part'),
    timestamp: z.number().finite(),
    version,
    index: z.number().int().min(0),
    count: z.number().int().min(1).max(1_000_000),
    config_table: z.record(z.string(), z.unknown()),
    config_hash: configHashesSchema.shape.config,
    hashes: configHashesSchema,
  })
  .refine((p) => p.index < p.count, 'index must be below count');

/** The parsed snapshot part. */
export type SnapshotPart = z.infer<typeof snapshotPartSchema>;

/** Any CP → DP v2 config message. */
export type V2ConfigMessage = Delta | SnapshotV2 | SnapshotPart;

/** DP → CP: the DP could not apply a delta (gap, invalid result, hash mismatch) and wants a snapshot. */
export const resyncSchema = z.strictObject({
  type: z.literal('resync'),
  reason: z.string().max(1000).optional(),
});

/** The parsed resync request. */
export type Resync = z.infer<typeof resyncSchema>;

function describe(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Validates an inflated CP → DP v2 message (a delta or a snapshot). */
export function parseV2ConfigMessage(obj: unknown): V2ConfigMessage {
  const type = (obj as { type?: unknown } | null)?.type;
  const schema =
    type === 'delta'
      ? deltaSchema
      : type === 'reconfigure'
        ? snapshotV2Schema
        : type === 'snapshot_part'
          ? snapshotPartSchema
          : null;
  if (!schema) {
    throw new ProtocolError(
      `v2 config frame must have type "delta", "reconfigure" or "snapshot_part", got ${JSON.stringify(type)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  const res = schema.safeParse(obj);
  if (!res.success) {
    throw new ProtocolError(
      `invalid v2 ${String(type)} message: ${describe(res.error.issues)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  return res.data;
}

/** Validates a v2 basic_info object (already JSON-parsed by the session). */
export function parseBasicInfoV2(obj: unknown): BasicInfoV2 {
  const res = basicInfoV2Schema.safeParse(obj);
  if (!res.success) {
    throw new ProtocolError(`invalid basic_info: ${describe(res.error.issues)}`, CLOSE_CODES.badBasicInfo);
  }
  return res.data;
}

/** Validates a resync request object. */
export function parseResync(obj: unknown): Resync {
  const res = resyncSchema.safeParse(obj);
  if (!res.success) {
    throw new ProtocolError(
      `invalid resync frame: ${describe(res.error.issues)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  return res.data;
}
