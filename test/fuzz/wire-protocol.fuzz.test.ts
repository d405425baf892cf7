import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { WebSocket } from 'ws';
import {
  startClusterListener,
  type ClusterListener,
} from '../../src/runtime/control-plane/sync/cluster-listener.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
} from '../../src/runtime/control-plane/status/data-plane-registry.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { systemClock } from '../../src/runtime/protocol/clock.js';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { captureLogger, MemorySource, waitFor, type LogLine } from '../cluster/helpers.js';
import { assertPrototypesClean, createRng, FUZZ_SEED } from './prng.js';
import { nextScript, VALID_BASIC_INFO, type Script } from './wire-frames.js';
import { closeOf } from '../security/cluster-harness.js';

/**
 * A hostile data plane against a real cluster listener (mTLS on loopback, in process, wired as
 * test/cluster/in-process.test.ts does; read-only use of those pieces). Sessions from wire-frames.ts
 * send malformed frames before and after basic_info, invalid WebSocket framing, oversized frames and
 * bursts. Holds: the CP closes each offending connection with a 4xxx/1xxx code and a reason, never
 * crashes, a well-behaved DP connected throughout keeps its row and still gets pushes, the config is
 * unchanged, no prototype is polluted. Replay: HG_FUZZ_SEED.
 */

const MIN_MALFORMED_FRAMES = 1000;
const MAX_SESSIONS = 600;
const PARALLEL = 8;
// cluster_max_payload's floor (4 MiB): the smallest limit a real CP runs with.
const MAX_PAYLOAD = 4 * 1024 * 1024;
const CLOSE_CODES_ALLOWED = new Set([1002, 1007, 1009, 4000, 4001, 4007]);

const pair = generateSharedClusterCertificate({ days: 2 });

const configOf = (n: number) => ({
  _format_version: '3.0',
  services: [
    { id: `0000000${n}-0000-4000-8000-000000000000`, name: `svc-${n}`, host: 'localhost', port: 80 },
  ],
});

let listener: ClusterListener;
let registry: DataPlaneRegistry;
let source: MemorySource;
let lines: LogLine[];
let url: string;

beforeAll(async () => {
  const captured = captureLogger('control-plane');
  lines = captured.lines;
  registry = createDataPlaneRegistry({ purgeDelaySeconds: 3600, clock: systemClock });
  await registry.start();
  source = new MemorySource(configOf(1));
  listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls: createSharedTlsPolicy(pair.certPem, pair.keyPem),
    source,
    dataPlanes: registry,
    metrics: null,
    logger: captured.logger,
    cpPlugins: new Map([['cors', '1.2.0']]),
    maxPayload: MAX_PAYLOAD,
    pingIntervalSeconds: 30,
    clock: systemClock,
  });
  url = `wss://127.0.0.1:${listener.addresses[0]!.port}/v1/outlet`;
});
afterAll(async () => {
  await listener.close();
  registry.stop();
});

function dial(id: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url}?node_id=${id}&node_version=0.1.0&node_hostname=fuzz`, {
    cert: pair.certPem,
    key: pair.keyPem,
    // The attacker does not care who the server is; the CP is the one under test.
    rejectUnauthorized: false,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A well-behaved DP: basic_info, heartbeats with the hash it runs, and the pushes it receives. */
async function legitDataPlane(): Promise<{ id: string; ws: WebSocket; hashes: string[] }> {
  const id = randomUUID();
  const ws = await dial(id);
  const hashes: string[] = [];
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(gunzipSync(data).toString('utf8')) as { config_hash: string };
    hashes.push(msg.config_hash);
    ws.ping(Buffer.from(msg.config_hash));
  });
  ws.send(VALID_BASIC_INFO, { binary: true });
  return { id, ws, hashes };
}

/** Runs one script; returns a failure description, or null. */
async function runScript(script: Script, i: number): Promise<string | null> {
  const id = randomUUID();
  let ws: WebSocket;
  try {
    ws = await dial(id);
  } catch (err) {
    return `session ${i} (${script.family}): could not connect: ${(err as Error).message}`;
  }
  ws.on('error', () => undefined);
  const end = closeOf(ws, 5000);
  for (const step of script.steps) {
    if (ws.readyState !== WebSocket.OPEN) break;
    if (step.kind === 'data') ws.send(step.payload, { binary: step.binary });
    else if (step.kind === 'ping') ws.ping(step.payload);
    else (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(step.bytes);
  }
  if (!script.expectClose) {
    // Allowed frames: the CP keeps the session; the DP's own row takes the reports.
    const reports = script.steps.some((st) => st.kind === 'data' && String(st.payload).includes('"error"'));
    await waitFor(
      () => {
        const row = registry.get(id);
        return ws.readyState !== WebSocket.OPEN || (row !== undefined && (!reports || row.errors.length > 0));
      },
      'the session to be registered',
      5000,
    );
    if (ws.readyState !== WebSocket.OPEN) {
      // Allowed frames faster than the per-connection rate limit: closed with 4007, and only that.
      const result = await end;
      if (script.family === 'flood-valid' && result?.code === 4007) return null;
      return `session ${i} (${script.family}): allowed frames closed the session (${result?.code} ${result?.reason})`;
    }
    const labels = registry.get(id)!.labels as Record<string, unknown>;
    const proto: unknown = Object.getPrototypeOf(labels);
    // A plain or a null-prototype map; never an object a DP supplied.
    if ('polluted' in labels || (proto !== null && Object.getPrototypeOf(proto) !== null)) {
      return `session ${i} (${script.family}): the row's labels have a foreign prototype`;
    }
    ws.close(1000, 'done');
    await end;
    return null;
  }
  const result = await end;
  if (result === null) {
    ws.terminate();
    const first = script.steps[0];
    const shown = first?.kind === 'raw' ? first.bytes.toString('hex') : String(first?.payload);
    return `session ${i} (${script.family}): the CP did not close the connection; first step ${first?.kind} ${shown.slice(0, 200)}`;
  }
  if (!CLOSE_CODES_ALLOWED.has(result.code))
    return `session ${i} (${script.family}): closed with ${result.code} ${result.reason}`;
  if (result.code >= 4000 && result.reason === '')
    return `session ${i} (${script.family}): ${result.code} without a reason`;
  return null;
}

describe(`wire protocol fuzz (seed ${FUZZ_SEED})`, () => {
  it(`closes hostile DPs after at least ${MIN_MALFORMED_FRAMES} malformed frames, and nobody else notices`, async () => {
    const legit = await legitDataPlane();
    // The v1 payload is built once a v1 DP is connected: the legit DP's first config is the export.
    const firstHash = await waitFor(() => legit.hashes[0], 'the legit DP gets the config');
    await waitFor(() => registry.get(legit.id)?.config_hash === firstHash, 'the legit DP reports its hash');
    const legitRow = structuredClone(registry.get(legit.id)!);
    const configBefore = structuredClone(source.config);

    const rng = createRng(FUZZ_SEED);
    const failures: string[] = [];
    const families = new Map<string, number>();
    let malformed = 0;
    let sessions = 0;
    const started = Date.now();
    while (malformed < MIN_MALFORMED_FRAMES && sessions < MAX_SESSIONS) {
      const batch = Array.from({ length: PARALLEL }, () => nextScript(rng, MAX_PAYLOAD));
      const results = await Promise.all(batch.map((s, k) => runScript(s, sessions + k)));
      for (const s of batch) {
        malformed += s.malformed;
        families.set(s.family, (families.get(s.family) ?? 0) + 1);
      }
      sessions += batch.length;
      for (const r of results) if (r) failures.push(r);
    }
    const elapsed = Date.now() - started;
    console.info(
      `wire fuzz seed=${FUZZ_SEED} sessions=${sessions} malformed_frames=${malformed} ms=${elapsed} ` +
        JSON.stringify(Object.fromEntries(families)),
    );
    expect(failures).toEqual([]);
    expect(malformed).toBeGreaterThanOrEqual(MIN_MALFORMED_FRAMES);

    // Nothing stored changed, the legit DP's row is as it was, and it still gets a new config.
    expect(source.config).toEqual(configBefore);
    expect(listener.currentPayload()?.configHash ?? firstHash).toBe(firstHash);
    const row = registry.get(legit.id)!;
    expect({ ...row, last_seen: 0, updated_at: 0, ttl: 0 }).toEqual({
      ...legitRow,
      last_seen: 0,
      updated_at: 0,
      ttl: 0,
    });
    expect(legit.ws.readyState).toBe(WebSocket.OPEN);
    source.set(configOf(2));
    await waitFor(
      () => legit.hashes.length >= 2 && legit.hashes.at(-1) !== firstHash,
      'the legit DP gets the change',
    );
    // Each refusal is logged with its reason; the CP logged no crash.
    expect(
      lines.some(
        (l) => l.msg === 'closing data plane connection: protocol error' && typeof l.reason === 'string',
      ),
    ).toBe(true);
    expect(lines.filter((l) => l.level >= 60)).toEqual([]);
    legit.ws.close(1000, 'done');
    await closeOf(legit.ws, 5000);
    assertPrototypesClean();
  }, 60_000);

  it('logs a burst of bad frames from one DP once, not once per frame', async () => {
    const id = randomUUID();
    const ws = await dial(id);
    ws.on('error', () => undefined);
    const end = closeOf(ws, 5000);
    ws.send(VALID_BASIC_INFO, { binary: true });
    // Sent back to back: most are in flight when the first one gets the connection closed.
    for (let i = 0; i < 40; i++) ws.send(`not a frame ${i}`, { binary: false });
    expect((await end)?.code).toBe(4001);
    const logged = () =>
      lines.filter((l) => l.node_id === id && l.msg === 'closing data plane connection: protocol error');
    // The one line is written when the CP's side of the connection has closed, with the count.
    await waitFor(() => logged().length > 0, 'the protocol error line');
    expect(logged()).toHaveLength(1);
    expect(logged()[0]!.close_code).toBe(4001);
    expect(typeof logged()[0]!.frames_dropped).toBe('number');
    expect(lines.filter((l) => l.node_id === id && l.msg === 'data plane disconnected')).toEqual([]);
  });

  it('still accepts a new DP after the fuzzing', async () => {
    const dp = await legitDataPlane();
    await waitFor(() => dp.hashes.length > 0, 'a config for the new DP');
    expect(registry.get(dp.id)?.status).toBe('connected');
    dp.ws.close(1000, 'done');
    await closeOf(dp.ws, 5000);
  });
});
