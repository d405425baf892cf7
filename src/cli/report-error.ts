import { isHybridgateError } from '../shared/errors.js';
import { ConfError, DbError } from '../runtime/errors.js';

/**
 * How the CLI shows an error: expected errors (bad conf, invalid declarative file, any typed
 * HybridgateError) as `Error: ...` lines without a stack; anything else with its stack, since that is a
 * bug worth reporting.
 */

interface IssueLike {
  path: string;
  message: string;
}

function declarativeIssues(err: DbError): IssueLike[] | null {
  const errors = err.context.errors;
  if (!Array.isArray(errors)) return null;
  return errors.filter(
    (e): e is IssueLike =>
      typeof e === 'object' && e !== null && typeof (e as IssueLike).message === 'string',
  );
}

/** The lines to print to stderr for `err`. */
export function errorLines(err: unknown): string[] {
  if (err instanceof ConfError) return err.message.split('\n').map((l) => `Error: ${l}`);
  if (err instanceof DbError && err.kind === 'DECLARATIVE_CONFIG') {
    const issues = declarativeIssues(err);
    const source = typeof err.context.source === 'string' ? err.context.source : null;
    if (issues && issues.length > 0) {
      return [
        `Error: ${source ? `${source}: ` : ''}invalid declarative configuration (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
        ...issues.map((i) => `Error:   ${i.path ? `${i.path}: ` : ''}${i.message}`),
      ];
    }
  }
  if (isHybridgateError(err)) return err.message.split('\n').map((l) => `Error: ${l}`);
  if (err instanceof Error) return [`Error: ${err.stack ?? err.message}`];
  return [`Error: ${String(err)}`];
}
