// test/admin/listing-and-forms.test.ts again, on a PostgreSQL store (the file itself runs on LMDB).
import { runAdminSuiteOn } from '../admin-backend.js';

await runAdminSuiteOn('postgres', () => import('../listing-and-forms.test.js'));
