// test/admin/entities.test.ts again, on a PostgreSQL store (the file itself runs on LMDB).
import { runAdminSuiteOn } from '../admin-backend.js';

await runAdminSuiteOn('postgres', () => import('../entities.test.js'));
