import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPgServer, type PgServer } from './pg-server.js';

let server: PgServer;

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(async () => {
  await server?.close();
});

describe('test postgres server', () => {
  it('answers on a loopback port with a password, stops and starts again on the same port', async () => {
    expect(server.port).toBeGreaterThan(0);
    const c = await server.client();
    const { rows } = await c.query<{ db: string; user: string }>(
      'SELECT current_database() AS db, current_user AS user',
    );
    expect(rows[0]).toEqual({ db: 'hybridgate_test', user: 'hybridgate' });
    await c.end();
    await server.stop();
    await expect(server.client()).rejects.toThrow(/ECONNREFUSED/);
    await server.start();
    const again = await server.client();
    expect((await again.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await again.end();
  });

  it('refuses a wrong password', async () => {
    const pg = (await import('pg')).default;
    const c = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: 'wrong',
      database: server.database,
    });
    await expect(c.connect()).rejects.toThrow(/password authentication failed/);
    await c.end().catch(() => undefined);
  });
});
