import { describe, it, expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CLOSE_CODES } from './constants.js';
import { PayloadTooLargeError, ProtocolError } from './errors.js';
import { encodeJsonFrame, parseBasicInfo, parseDataPlaneFrame } from './messages.js';
import {
  buildReconfigurePayload,
  configuredPluginNames,
  decodeReconfigurePayload,
} from './reconfigure-payload.js';

const H = 'a'.repeat(32);
const hashes = { config: H, routes: H, services: H, plugins: H, upstreams: H, targets: H };
const bin = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

describe('basic_info', () => {
  const good = {
    type: 'basic_info',
    plugins: [{ name: 'key-auth', version: '3.9.0' }],
    labels: { az: 'eu-1' },
  };

  it('accepts a valid frame and round-trips through encodeJsonFrame', () => {
    expect(parseBasicInfo(encodeJsonFrame(parseBasicInfo(bin(good), true)), true)).toEqual(good);
  });

  it.each([
    ['a text frame', bin(good), false, /binary frame/],
    ['bad JSON', Buffer.from('{nope'), true, /not valid JSON/],
    ['an array', bin([1]), true, /JSON object/],
    ['another type', bin({ ...good, type: 'ping' }), true, /type "basic_info", got "ping"/],
    ['no plugins', bin({ type: 'basic_info' }), true, /plugins/],
    ['an unknown key', bin({ ...good, extra: 1 }), true, /invalid basic_info/],
    ['a bad plugin', bin({ ...good, plugins: [{ name: '' }] }), true, /plugins\.0/],
  ])('rejects %s with close code 4000', (_what, data, isBinary, msg) => {
    try {
      parseBasicInfo(data, isBinary);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).closeCode).toBe(CLOSE_CODES.badBasicInfo);
      expect((err as Error).message).toMatch(msg);
    }
  });
});

describe('data plane frames after basic_info', () => {
  it('accepts error reports and refuses anything else', () => {
    const report = {
      type: 'error',
      error: { name: 'declarative configuration parse failure', message: 'x', config_hash: H },
    };
    expect(parseDataPlaneFrame(bin(report), true)).toEqual(report);
    expect(() => parseDataPlaneFrame(bin({ type: 'basic_info', plugins: [] }), true)).toThrow(
      /unexpected frame type/,
    );
    expect(() => parseDataPlaneFrame(bin(report), false)).toThrow(/binary frames only/);
    expect(() =>
      parseDataPlaneFrame(
        bin({ type: 'error', error: { name: 'n', message: 'm', config_hash: 'short' } }),
        true,
      ),
    ).toThrow(/error\.config_hash/);
  });
});

describe('reconfigure payload', () => {
  const config = {
    _format_version: '3.0',
    services: [{ id: 's', plugins: [{ name: 'acl' }] }],
    plugins: [{ name: 'cors' }, { name: 'x', enabled: false }],
  };

  it('round-trips through gzip with the hashes and the configured plugins', async () => {
    const p = await buildReconfigurePayload({ config, hashes, timestamp: 12.5 }, 1 << 20);
    expect(p.frame[0]).toBe(0x1f); // gzip magic
    expect([...p.configuredPlugins].sort()).toEqual(['acl', 'cors']);
    const msg = await decodeReconfigurePayload(p.frame, { maxPayload: 1 << 20, maxInflated: 1 << 20 });
    expect(msg).toEqual({
      type: 'reconfigure',
      timestamp: 12.5,
      config_table: config,
      config_hash: H,
      hashes,
    });
  });

  it('refuses to build a frame over the limit, naming the limit and the size', async () => {
    const big = {
      blob: randomBytes(50_000).toString('base64'),
    };
    await expect(buildReconfigurePayload({ config: big, hashes, timestamp: 1 }, 10_000)).rejects.toThrow(
      /compressed configuration is \d+ bytes, more than cluster_max_payload \(10000 bytes\)/,
    );
  });

  it('refuses gzip bombs, garbage and bad messages on decode', async () => {
    const bomb = gzipSync(Buffer.alloc(1 << 20, 0x20));
    await expect(
      decodeReconfigurePayload(bomb, { maxPayload: 1 << 20, maxInflated: 1000 }),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      decodeReconfigurePayload(Buffer.from('nope'), { maxPayload: 100, maxInflated: 100 }),
    ).rejects.toThrow(/not valid gzip/);
    await expect(
      decodeReconfigurePayload(gzipSync('{"type":"reconfigure"}'), { maxPayload: 100, maxInflated: 1000 }),
    ).rejects.toThrow(/invalid reconfigure message/);
    await expect(
      decodeReconfigurePayload(Buffer.alloc(200), { maxPayload: 100, maxInflated: 100 }),
    ).rejects.toThrow(/200 bytes/);
  });

  it('finds plugins nested under routes of services, consumers and routes', () => {
    expect(
      [
        ...configuredPluginNames({
          services: [{ routes: [{ plugins: [{ name: 'a' }] }] }],
          consumers: [{ plugins: [{ name: 'b' }] }],
          routes: [{ plugins: [{ name: 'c' }] }],
        }),
      ].sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
