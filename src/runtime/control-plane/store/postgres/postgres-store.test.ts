import { afterAll, beforeAll } from '@jest/globals';
import { dropSchema, freshSchema, pgConnection } from '../../../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../../../test/postgres/pg-server.js';
import { describeStoreConformance } from '../store-conformance.js';
import { testDefinitions } from '../test-definitions.js';
import { bootstrap } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';

let server: PgServer;
let schema = '';

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(async () => {
  await server?.close();
});

describeStoreConformance('postgres', {
  open: async ({ fresh, now, changeLogSize }) => {
    if (fresh) {
      schema = freshSchema();
      await bootstrap({ connection: pgConnection(server, schema) });
    }
    return openPostgresStore({
      connection: pgConnection(server, schema),
      definitions: testDefinitions(),
      now,
      ...(changeLogSize ? { changeLogSize } : {}),
    });
  },
  cleanup: () => dropSchema(server, schema),
});
