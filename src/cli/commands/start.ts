import { Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createLogger, type Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import { loadConf } from '../../runtime/config/conf/load-conf.js';
import { redactConf } from '../../runtime/config/conf/redact-conf.js';
import type { Conf } from '../../runtime/config/conf/types.js';
import { CliExit, type CliContext } from '../cli-context.js';

/** Kong's log levels (nginx's) mapped onto pino's. */
const PINO_LEVELS: Record<Conf['log_level'], LevelWithSilent> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  error: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
};

const COMPONENTS: Record<Conf['role'], string> = {
  traditional: 'traditional',
  control_plane: 'control-plane',
  data_plane: 'data-plane',
};

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

interface StartOptions {
  conf?: string;
  prefix?: string;
  dumpConfig: boolean;
}

/** Queues stop signals: `first` resolves on the first one, each `next()` call on one more. */
function waitForSignals(signals: CliContext['signals']) {
  const pending: string[] = [];
  const waiters: ((sig: string) => void)[] = [];
  const handlers = STOP_SIGNALS.map(
    (sig) =>
      [
        sig,
        () => {
          const waiter = waiters.shift();
          if (waiter) waiter(sig);
          else pending.push(sig);
        },
      ] as const,
  );
  for (const [sig, h] of handlers) signals.on(sig, h);
  const next = () =>
    new Promise<string>((res) => {
      const sig = pending.shift();
      if (sig === undefined) waiters.push(res);
      else res(sig);
    });
  return {
    first: next(),
    next,
    dispose: () => {
      for (const [sig, h] of handlers) signals.off(sig, h);
    },
  };
}

/** Runs a node until SIGTERM/SIGINT, then closes it; a second signal abandons the graceful stop. */
async function runNode(ctx: CliContext, conf: Conf, logger: Logger): Promise<void> {
  // Listen before starting, so a signal during start-up is not lost (or fatal, for SIGINT).
  const signals = waitForSignals(ctx.signals);
  try {
    const node = await ctx.startNode(conf, logger);
    logger.info({ role: conf.role, addresses: node.addresses, prefix: conf.prefix }, 'node started');
    const signal = await signals.first;
    logger.info({ signal }, 'stopping node');
    const forced = signals.next();
    const outcome = await Promise.race([node.close().then(() => 'closed' as const), forced]);
    if (outcome !== 'closed') {
      logger.error({ signal: outcome }, 'second signal during graceful stop, exiting now');
      throw new CliExit(1);
    }
    logger.info('node stopped');
  } finally {
    signals.dispose();
  }
}

/**
 * `hybridgate start [-c FILE] [-p DIR] [--dump-config]` (Kong's `kong start`): loads the conf, then
 * either prints it redacted or starts the node for its role and stops it gracefully on SIGTERM/SIGINT.
 */
export function startCommand(ctx: CliContext): Command {
  return new Command('start')
    .description('start a node (traditional, control plane or data plane, from role)')
    .option('-c, --conf <file>', 'a kong.conf-style configuration file')
    .option('-p, --prefix <dir>', 'the prefix directory (overrides prefix from the file and environment)')
    .option('--dump-config', 'print the resolved configuration (secrets redacted) as JSON and exit', false)
    .action(async (opts: StartOptions) => {
      const { conf, warnings } = loadConf({
        file: opts.conf,
        env: ctx.env,
        cwd: ctx.cwd,
        overrides: opts.prefix === undefined ? {} : { prefix: opts.prefix },
      });
      if (opts.dumpConfig) {
        for (const w of warnings) ctx.err(`Warning: ${w}`);
        ctx.out(JSON.stringify(redactConf(conf), null, 2));
        return;
      }
      const logger = createLogger({
        component: COMPONENTS[conf.role],
        level: PINO_LEVELS[conf.log_level],
        destination: ctx.stderr,
      });
      for (const w of warnings) logger.warn({ source: 'conf' }, w);
      try {
        await runNode(ctx, conf, logger);
      } catch (err) {
        if (!(err instanceof CliExit)) logger.fatal({ err: errorMessage(err) }, 'node failed');
        throw err;
      }
    });
}
