import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { errorMessage } from '../../../shared/errors.js';
import { CLOSE_CODES } from '../constants.js';
import { PayloadTooLargeError, ProtocolError } from '../errors.js';
import type { ConfigHashes } from '../messages.js';
import type { ReconfigurePayload } from '../reconfigure-payload.js';
import { parseV2ConfigMessage, type V2ConfigMessage } from './messages.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Gzips a v2 delta or snapshot once, to be sent as-is to every DP that needs it. The result has the
 * shape of a v1 payload so a session pushes (and judges plugin compatibility of) both alike;
 * `configuredPlugins` is that of the whole config at the target version, not only of the changes.
 */
export async function buildV2Payload(
  message: V2ConfigMessage,
  configuredPlugins: ReadonlySet<string>,
  maxPayload: number,
): Promise<ReconfigurePayload> {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = await gzipAsync(json);
  if (frame.length > maxPayload) {
    const what =
      message.type === 'delta'
        ? 'the compressed delta'
        : message.type === 'snapshot_part'
          ? `part ${message.index} of the compressed configuration`
          : 'the compressed configuration';
    throw new PayloadTooLargeError(what, frame.length, maxPayload);
  }
  const hashes: ConfigHashes = message.hashes;
  return { frame, configHash: hashes.config, hashes, rawSize: json.length, configuredPlugins };
}

/** Inflates and validates a v2 config frame; bounds as v1's (maxPayload compressed, maxInflated inflated). */
export async function decodeV2Frame(
  frame: Buffer,
  limits: { maxPayload: number; maxInflated: number },
): Promise<V2ConfigMessage> {
  if (frame.length > limits.maxPayload) {
    throw new PayloadTooLargeError('the v2 config frame', frame.length, limits.maxPayload);
  }
  let json: Buffer;
  try {
    json = await gunzipAsync(frame, { maxOutputLength: limits.maxInflated });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError('the inflated v2 frame', limits.maxInflated + 1, limits.maxInflated);
    }
    throw new ProtocolError(`v2 frame is not valid gzip: ${errorMessage(err)}`, CLOSE_CODES.unexpectedFrame);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`v2 frame is not valid JSON: ${errorMessage(err)}`, CLOSE_CODES.unexpectedFrame);
  }
  return parseV2ConfigMessage(obj);
}
