import { DbError } from '../../errors.js';
import { buildFieldErrors } from '../entities/field-errors.js';
import type { DocPath } from './flatten.js';
import type { DeclarativeIssue } from './types.js';

/** `services[0].routes[1].paths[0]`: a document path as the CLI prints it. */
export function formatDocPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (seg === '@entity') continue;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/**
 * Kong's code 14 error: `fields` nests the problems as the document does, and `context.errors` lists
 * them flat (`{ path, message }`) for printing.
 */
export function declarativeError(issues: readonly { path: DocPath; message: string }[], source?: string): DbError {
  const errors: DeclarativeIssue[] = issues.map((i) => ({ path: formatDocPath(i.path), message: i.message }));
  const lines = errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`));
  const where = source === undefined ? '' : ` (${source})`;
  return new DbError('DECLARATIVE_CONFIG', `declarative config is invalid${where}: ${lines.join('; ')}`, buildFieldErrors(issues), {
    errors,
    ...(source === undefined ? {} : { source }),
  });
}
