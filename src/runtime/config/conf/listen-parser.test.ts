import { describe, expect, it } from '@jest/globals';
import { hostPort, hostPortList, listen } from './listen-parser.js';
import { invalidReason } from './test-certificates.js';
import type { ParseContext } from './value-types.js';

function ctx(warnings: string[] = []): ParseContext {
  return { key: 'proxy_listen', cwd: '/', prefix: '/', secret: false, warn: (m) => warnings.push(m) };
}


describe('listen', () => {
  it('reads addresses with every flag', () => {
    expect(listen.parse('0.0.0.0:8443 ssl http2 proxy_protocol reuseport backlog=511', ctx())).toEqual([
      { host: '0.0.0.0', port: 8443, ssl: true, http2: true, proxyProtocol: true, reusePort: true, backlog: 511 },
    ]);
  });

  it('reads several entries, IPv6 in brackets, host names, * and port 0', () => {
    const parsed = listen.parse('[::1]:8000, localhost:0 ssl ,*:9000', ctx());
    expect(parsed.map((l) => [l.host, l.port, l.ssl])).toEqual([
      ['::1', 8000, false],
      ['localhost', 0, true],
      ['0.0.0.0', 9000, false],
    ]);
  });

  it('gives [] for off', () => {
    expect(listen.parse('off', ctx())).toEqual([]);
  });

  it('accepts nginx-only flags with a warning', () => {
    const warnings: string[] = [];
    expect(listen.parse('127.0.0.1:8000 deferred bind', ctx(warnings))).toHaveLength(1);
    expect(warnings).toEqual([
      'proxy_listen: flag deferred of 127.0.0.1:8000 has no effect in hybridgate and is ignored',
      'proxy_listen: flag bind of 127.0.0.1:8000 has no effect in hybridgate and is ignored',
    ]);
  });

  it.each([
    ['127.0.0.1', '"127.0.0.1" has no port'],
    ['127.0.0.1:70000', '"127.0.0.1:70000" has an invalid port'],
    ['127.0.0.1:http', '"127.0.0.1:http" has an invalid port'],
    ['::1:8000', '"::1:8000" has an IPv6 address without brackets'],
    ['bad_host!:80', '"bad_host!:80" has an invalid host'],
    ['127.0.0.1:80 tls', '"tls" is not a listener flag (in "127.0.0.1:80 tls")'],
    ['127.0.0.1:80 backlog=x', '"backlog=x" is not a valid backlog'],
    ['127.0.0.1:80,', '"127.0.0.1:80," has an empty entry'],
    ['', 'an empty value is not allowed (use off to disable)'],
  ])('refuses %j', (raw, expected) => {
    expect(invalidReason(() => listen.parse(raw, ctx()))).toBe(expected);
  });
});

describe('hostPort', () => {
  it('reads host:port and [v6]:port', () => {
    expect(hostPort.parse('cp.example.com:8005', ctx())).toEqual({ host: 'cp.example.com', port: 8005 });
    expect(hostPort.parse('[fd00::1]:443', ctx())).toEqual({ host: 'fd00::1', port: 443 });
  });

  it.each([
    ['cp.example.com', '"cp.example.com" has no port'],
    ['cp:0', '"cp:0" has an invalid port'],
    ['wss://cp:8005', '"wss://cp:8005" is not a bare host:port'],
  ])('refuses %j', (raw, expected) => {
    expect(invalidReason(() => hostPort.parse(raw, ctx()))).toBe(expected);
  });
});

describe('hostPortList (cluster_control_plane)', () => {
  it('reads one or several addresses in order', () => {
    expect(hostPortList.parse('cp.example.com:8005', ctx())).toEqual([{ host: 'cp.example.com', port: 8005 }]);
    expect(hostPortList.parse(' cp-a:8005 , [fd00::1]:8005,cp-b:9005 ', ctx())).toEqual([
      { host: 'cp-a', port: 8005 },
      { host: 'fd00::1', port: 8005 },
      { host: 'cp-b', port: 9005 },
    ]);
  });

  it.each([
    ['', 'an empty value is not allowed'],
    ['cp-a:8005,', 'item 2 is empty'],
    ['cp-a:8005, cp-b', '"cp-b" has no port'],
    ['cp-a:8005, CP-A:8005', '"CP-A:8005" is listed twice'],
  ])('refuses %j', (raw, expected) => {
    expect(invalidReason(() => hostPortList.parse(raw, ctx()))).toBe(expected);
  });
});
