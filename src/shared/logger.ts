import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line. Paths are pino redact paths; `*.x` covers one level of
 * nesting, which is where conf objects and request bodies put them.
 */
export const REDACTED_LOG_PATHS = [
  'password',
  'token',
  'key',
  'cluster_cert_key',
  'admin_ssl_cert_key',
  'ssl_cert_key',
  'pg_password',
  'authorization',
  '*.password',
  '*.token',
  '*.key',
  '*.cluster_cert_key',
  '*.pg_password',
  '*.authorization',
  'headers.authorization',
  'headers.apikey',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** The component name, e.g. `control-plane`, `data-plane`, `operator`. */
  component: string;
  /** Where to write; defaults to stderr so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

/** Structured JSON logger (pino) shared by every process; secrets are redacted by path. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { component: opts.component },
      redact: { paths: REDACTED_LOG_PATHS, censor: '******' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}
