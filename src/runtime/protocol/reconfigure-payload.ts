import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { errorMessage } from '../../shared/errors.js';
import { CLOSE_CODES } from './constants.js';
import { PayloadTooLargeError, ProtocolError } from './errors.js';
import { type ConfigHashes, configHashesSchema, parseReconfigure, type Reconfigure } from './messages.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** A reconfigure frame built once per config version and sent as-is to every compatible DP. */
export interface ReconfigurePayload {
  /** The gzip bytes of the JSON message: the whole binary frame. */
  frame: Buffer;
  configHash: string;
  hashes: ConfigHashes;
  /** Size of the JSON before compression, for metrics. */
  rawSize: number;
  /** Names of plugins configured in this config (the compatibility check needs them). */
  configuredPlugins: ReadonlySet<string>;
}

/**
 * Serialises and gzips a config once; refuses (PayloadTooLargeError) a frame the DPs' `maxPayload`
 * would reject, so the CP logs why instead of the DP seeing a dropped connection.
 */
export async function buildReconfigurePayload(
  input: { config: Record<string, unknown>; hashes: ConfigHashes; timestamp: number },
  maxPayload: number,
): Promise<ReconfigurePayload> {
  const hashes = configHashesSchema.parse(input.hashes);
  const message: Reconfigure = {
    type: 'reconfigure',
    timestamp: input.timestamp,
    config_table: input.config,
    config_hash: hashes.config,
    hashes,
  };
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = await gzipAsync(json);
  if (frame.length > maxPayload) {
    throw new PayloadTooLargeError('the compressed configuration', frame.length, maxPayload);
  }
  return {
    frame,
    configHash: hashes.config,
    hashes,
    rawSize: json.length,
    configuredPlugins: configuredPluginNames(input.config),
  };
}

/**
 * Inflates and validates a reconfigure frame. The compressed size is bounded by the socket's
 * maxPayload; `maxInflated` bounds what it may expand to (a gzip bomb must not exhaust memory).
 */
export async function decodeReconfigurePayload(
  frame: Buffer,
  limits: { maxPayload: number; maxInflated: number },
): Promise<Reconfigure> {
  if (frame.length > limits.maxPayload) {
    throw new PayloadTooLargeError('the reconfigure frame', frame.length, limits.maxPayload);
  }
  let json: Buffer;
  try {
    json = await gunzipAsync(frame, { maxOutputLength: limits.maxInflated });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(
        'the inflated configuration',
        limits.maxInflated + 1,
        limits.maxInflated,
      );
    }
    throw new ProtocolError(
      `reconfigure frame is not valid gzip: ${errorMessage(err)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  let obj: unknown;
  try {
    obj = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(
      `reconfigure frame is not valid JSON: ${errorMessage(err)}`,
      CLOSE_CODES.unexpectedFrame,
    );
  }
  return parseReconfigure(obj);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Plugins "configured" in a declarative config (seed 002: enabled globally or on a service, route or
 * consumer), wherever the export put them: top level or nested under their owners. Disabled plugins
 * do not count, as Kong's export omits them.
 */
export function configuredPluginNames(config: Obj): Set<string> {
  const names = new Set<string>();
  const visitPlugins = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (isObj(p) && typeof p.name === 'string' && p.enabled !== false) names.add(p.name);
    }
  };
  const visitOwners = (list: unknown, nested: string[]): void => {
    if (!Array.isArray(list)) return;
    for (const e of list) {
      if (!isObj(e)) continue;
      visitPlugins(e.plugins);
      for (const key of nested) visitOwners(e[key], []);
    }
  };
  visitPlugins(config.plugins);
  visitOwners(config.services, ['routes']);
  visitOwners(config.routes, []);
  visitOwners(config.consumers, []);
  return names;
}
