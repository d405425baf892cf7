import { describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { createLogger } from '../../../shared/logger.js';
import { DbError } from '../../errors.js';
import { buildAdminApp } from './admin-app.js';
import { ServerCounters } from './server-counters.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ component: 'test', level: 'error', destination }), lines };
}

describe('admin app', () => {
  it('maps typed errors to their body, hides unexpected ones behind a logged 500', async () => {
    const { logger, lines } = capture();
    const app = buildAdminApp({
      logger,
      counters: new ServerCounters(),
      modules: [
        (a) => {
          a.get('/db', async () => {
            throw new DbError('NOT_FOUND', 'gone', { id: 'x' });
          });
          a.get('/boom', async () => {
            throw new Error('secret internals');
          });
        },
      ],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const call = async (method: 'GET' | 'POST', path: string) => {
      const res = await request(`${base}${path}`, { method });
      return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as unknown };
    };
    try {
      const db = await call('GET', '/db');
      expect(db.status).toBe(404);
      expect(db.body).toEqual({ code: 6, name: 'not found', message: 'gone', fields: { id: 'x' } });
      const boom = await call('GET', '/boom');
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ message: 'An unexpected error occurred' });
      expect(lines.join('')).toContain('admin api unexpected error');
      expect(lines.join('')).toContain('secret internals');
      const wrong = await call('POST', '/boom');
      expect(wrong.status).toBe(405);
      expect(String(wrong.headers.allow)).toContain('GET');
    } finally {
      await app.close();
    }
  });
});
