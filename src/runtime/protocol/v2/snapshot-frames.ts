import { PayloadTooLargeError } from '../errors.js';
import type { ConfigHashes } from '../messages.js';
import type { ReconfigurePayload } from '../reconfigure-payload.js';
import { buildV2Payload } from './frames.js';

// Room left in a part for everything but the entities (type, version, hashes, JSON punctuation).
const PART_OVERHEAD = 2048;

/**
 * The frames of a v2 snapshot: one `reconfigure` when its gzip fits cluster_max_payload, otherwise
 * consecutive `snapshot_part` frames, so the frame limit bounds a frame and not the config. A part's
 * raw JSON stays under the limit, and gzip never grows JSON by more than a few bytes per 32 KiB, so
 * every part fits whatever the config compresses to. Only an entity larger than a frame cannot go.
 */
export async function buildSnapshotFrames(
  input: { version: number; config: Record<string, unknown>; hashes: ConfigHashes; timestamp: number },
  configuredPlugins: ReadonlySet<string>,
  maxPayload: number,
): Promise<ReconfigurePayload[]> {
  const common = {
    timestamp: input.timestamp,
    version: input.version,
    config_hash: input.hashes.config,
    hashes: input.hashes,
  };
  try {
    return [
      await buildV2Payload(
        { type: 'reconfigure', ...common, config_table: input.config },
        configuredPlugins,
        maxPayload,
      ),
    ];
  } catch (err) {
    if (!(err instanceof PayloadTooLargeError)) throw err;
  }
  const budget = maxPayload - PART_OVERHEAD - 1024;
  if (budget <= 0) throw new PayloadTooLargeError('a snapshot part header', PART_OVERHEAD, maxPayload);
  const parts: Record<string, unknown>[] = [];
  let part: Record<string, unknown> = {};
  let size = 0;
  const flush = () => {
    parts.push(part);
    part = {};
    size = 0;
  };
  for (const [key, value] of Object.entries(input.config)) {
    if (!Array.isArray(value)) {
      // Scalars (`_format_version`, `_transform`) travel in the first part.
      (parts[0] ?? part)[key] = value;
      size += key.length + JSON.stringify(value).length + 4;
      continue;
    }
    for (const entity of value as unknown[]) {
      const bytes = Buffer.byteLength(JSON.stringify(entity), 'utf8') + 1;
      if (bytes > budget) {
        const id = (entity as { id?: unknown } | null)?.id;
        throw new PayloadTooLargeError(`${key} entity ${String(id)} alone`, bytes, budget);
      }
      if (size + bytes + key.length + 4 > budget && size > 0) flush();
      let list = part[key] as unknown[] | undefined;
      if (!list) {
        list = [];
        part[key] = list;
        size += key.length + 4;
      }
      list.push(entity);
      size += bytes;
    }
  }
  if (size > 0 || parts.length === 0) flush();
  return Promise.all(
    parts.map((config_table, index) =>
      buildV2Payload(
        { type: 'snapshot_part', ...common, index, count: parts.length, config_table },
        configuredPlugins,
        maxPayload,
      ),
    ),
  );
}
