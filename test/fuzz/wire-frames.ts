import { randomBytes } from 'node:crypto';
import { HOSTILE_VALUES, protoJson, type Rng } from './prng.js';

/**
 * What a hostile data plane sends over an established cluster WebSocket. Each session is a script of
 * steps: data frames through the ws client, pings, or raw bytes written under the WebSocket framing
 * (invalid frames a client library would never produce). Every script must end with the CP closing
 * the connection, except `flood-valid` ones, made only of frames the protocol allows.
 */

/** One thing the hostile DP does. */
export type Step =
  | { kind: 'data'; payload: Buffer | string; binary: boolean }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'raw'; bytes: Buffer };

/** A hostile session: its steps, how many of them are malformed frames, and whether the CP must close. */
export interface Script {
  family: string;
  steps: Step[];
  malformed: number;
  expectClose: boolean;
}

const HASH = 'a'.repeat(32);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const bin = (payload: Buffer | string): Step => ({ kind: 'data', payload, binary: true });
const text = (payload: string): Step => ({ kind: 'data', payload, binary: false });

/** A valid basic_info, the first frame of a well-behaved DP. */
export const VALID_BASIC_INFO = json({
  type: 'basic_info',
  plugins: [{ name: 'cors', version: '1.2.0' }],
  labels: { team: 'x' },
});

/** A client→server WebSocket frame with the mask a client must use (RFC 6455 5.3). */
function frame(opts: {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload: Buffer;
  masked?: boolean;
  lengthOverride?: number;
}): Buffer {
  const { payload } = opts;
  const first = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opts.opcode;
  const len = opts.lengthOverride ?? payload.length;
  const masked = opts.masked ?? true;
  let head: Buffer;
  if (len < 126) head = Buffer.from([first, (masked ? 0x80 : 0) | len]);
  else if (len < 65536) head = Buffer.from([first, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

function badFirstFrame(rng: Rng): Step {
  const options: (() => Step)[] = [
    () => bin('{"type":"basic_info","plugins":['),
    () => bin(rng.bytes(1 + rng.int(200))),
    () => bin(''),
    () => text(VALID_BASIC_INFO.toString()),
    () => bin(json({ type: 'basic_info' })),
    () => bin(json({ type: 'basic_info', plugins: 'cors' })),
    () => bin(json({ type: 'basic_info', plugins: [{ name: 5 }] })),
    () => bin(json({ type: 'basic_info', plugins: [], extra: 1 })),
    () => bin(json({ type: 'basic_info', plugins: [], labels: { ['k'.repeat(64)]: 'v' } })),
    () =>
      bin(
        json({
          type: 'basic_info',
          plugins: Array.from({ length: 1001 }, (_, i) => ({ name: `p${i}`, version: null })),
        }),
      ),
    () =>
      bin(
        json({
          type: rng.pick(['error', 'reconfigure', 'BASIC_INFO', null, 7, ['basic_info']]),
          plugins: [],
        }),
      ),
    () => bin(json([{ type: 'basic_info', plugins: [] }])),
    () => bin(json(rng.pick(HOSTILE_VALUES))),
    () => bin(`{"type":"basic_info","plugins":[],${protoJson('{"polluted":true}').slice(1)}`),
    () => ({ kind: 'ping', payload: Buffer.from(HASH) }),
    () => ({ kind: 'ping', payload: rng.bytes(rng.int(125)) }),
  ];
  return rng.pick(options)();
}

function badLaterFrame(rng: Rng): Step {
  const options: (() => Step)[] = [
    () => bin(VALID_BASIC_INFO),
    () => bin(rng.bytes(1 + rng.int(300))),
    () => text(JSON.stringify({ type: 'error', error: { name: 'x', message: 'y', config_hash: null } })),
    () => bin(json({ type: rng.pick(['reconfigure', 'ping', 'goodbye', 'status', '', null]), data: 1 })),
    () => bin(json({ type: 'error', error: { name: '', message: 'y', config_hash: null } })),
    () => bin(json({ type: 'error', error: { name: 'x', message: 'm'.repeat(10_001), config_hash: HASH } })),
    () => bin(json({ type: 'error', error: { name: 'x', message: 'y', config_hash: 'not-a-hash' } })),
    () => bin(json({ type: 'error', error: { name: 'x', message: 'y', config_hash: null }, extra: true })),
    () =>
      bin(
        `{"type":"error","error":{"name":"x","message":"y","config_hash":null},${protoJson('{"polluted":true}').slice(1)}`,
      ),
    () => bin('{"type":"error"'),
    () => ({ kind: 'ping', payload: Buffer.from('z'.repeat(32)) }),
    () => ({ kind: 'ping', payload: Buffer.from(HASH.slice(1)) }),
  ];
  return rng.pick(options)();
}

function badRawFrame(rng: Rng): Step {
  const payload = Buffer.from('{"type":"error"}');
  const options: (() => Buffer)[] = [
    () => frame({ opcode: 2, payload, masked: false }),
    () => frame({ opcode: 2, payload, rsv: 1 + rng.int(7) }),
    () => frame({ opcode: rng.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]), payload }),
    () => frame({ opcode: 9, payload: Buffer.alloc(126, 0x61) }),
    () => frame({ opcode: 9, payload: Buffer.from(HASH), fin: false }),
    () => frame({ opcode: 0, payload }),
    () => frame({ opcode: 1, payload: Buffer.from([0xc3, 0x28, 0xff, 0xfe]) }),
    () => frame({ opcode: 8, payload: Buffer.from([0x03, 0xe7]) }),
    () => frame({ opcode: 8, payload: Buffer.from([0x01]) }),
    () => frame({ opcode: 2, payload: Buffer.alloc(0), lengthOverride: 2 ** 53 - 1 }),
    () => Buffer.concat([frame({ opcode: 2, payload, fin: false }), frame({ opcode: 1, payload })]),
  ];
  return { kind: 'raw', bytes: rng.pick(options)() };
}

/** The next hostile session against a CP whose cluster_max_payload is `maxPayload`. */
export function nextScript(rng: Rng, maxPayload: number): Script {
  const shape = rng.int(10);
  if (shape <= 2)
    return { family: 'bad first frame', steps: [badFirstFrame(rng)], malformed: 1, expectClose: true };
  if (shape <= 5) {
    const steps = [
      bin(VALID_BASIC_INFO),
      { kind: 'ping', payload: Buffer.from(HASH) } as Step,
      badLaterFrame(rng),
    ];
    return { family: 'bad frame after basic_info', steps, malformed: 1, expectClose: true };
  }
  if (shape === 6) {
    const steps = [...(rng.chance(0.5) ? [bin(VALID_BASIC_INFO)] : []), badRawFrame(rng)];
    return { family: 'invalid websocket framing', steps, malformed: 1, expectClose: true };
  }
  if (shape === 7) {
    // A burst: the CP acts on the first bad frame; the rest arrive at a closing connection.
    const n = 5 + rng.int(40);
    const steps = [bin(VALID_BASIC_INFO), ...Array.from({ length: n }, () => badLaterFrame(rng))];
    return { family: 'burst of bad frames', steps, malformed: n, expectClose: true };
  }
  if (shape === 8 && rng.chance(0.15)) {
    const steps = [bin(VALID_BASIC_INFO), bin(Buffer.alloc(maxPayload + 1 + rng.int(1024), 0x20))];
    return { family: 'oversized frame', steps, malformed: 1, expectClose: true };
  }
  if (shape === 8) {
    // Valid by the schema (process_conf is a free map; a `__proto__` label is a string): accepted, and
    // must pollute nothing.
    const info = `{"type":"basic_info","plugins":[],"labels":{"__proto__":"x"},"process_conf":${protoJson('{"polluted":true}')}}`;
    return { family: 'pollution-shaped basic_info', steps: [bin(info)], malformed: 0, expectClose: false };
  }
  // Frames the protocol allows, many of them: the CP may keep the connection, but must stay well.
  const n = 20 + rng.int(80);
  // About another hash than the heartbeats carry: a heartbeat clears the errors of its own hash.
  const report = json({
    type: 'error',
    error: { name: 'flood', message: 'x'.repeat(rng.int(2000)), config_hash: 'b'.repeat(32) },
  });
  const steps: Step[] = [bin(VALID_BASIC_INFO)];
  for (let i = 0; i < n; i++)
    steps.push(rng.chance(0.5) ? bin(report) : { kind: 'ping', payload: Buffer.from(HASH) });
  return { family: 'flood-valid', steps, malformed: 0, expectClose: false };
}
