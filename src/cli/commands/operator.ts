import { Command, InvalidArgumentError } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import { createOperator } from '../../operator/main.js';
import { CliExit, type CliContext } from '../cli-context.js';

interface OperatorFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  healthAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  fleetStatus: boolean;
  gitops: boolean;
  caPropagationDelay: number;
  logLevel: LevelWithSilent;
}

/** `host:port` (port 0 allowed), or `off`. */
export function parseAddress(value: string): { host: string; port: number } | undefined {
  if (value === 'off') return undefined;
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError(`expected host:port or off, got "${value}"`);
  return { host: m[1] || '0.0.0.0', port };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of seconds, got "${value}"`);
  return n * 1000;
}

/**
 * `hybridgate operator`: runs the Kubernetes operator (HybridCluster, ControlPlane, DataPlane
 * controllers) until SIGTERM/SIGINT. Settings come from flags, with HYBRIDGATE_OPERATOR_* env defaults
 * for the ones a Deployment usually sets.
 */
export function operatorCommand(ctx: CliContext): Command {
  const env = ctx.env;
  return new Command('operator')
    .description('run the Kubernetes operator')
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: in-cluster, then ~/.kube/config)',
      env['KUBECONFIG'],
    )
    .option('--context <name>', 'kubeconfig context')
    .option(
      '--namespace <ns>',
      'watch only this namespace (default: all)',
      env['HYBRIDGATE_OPERATOR_NAMESPACE'] || undefined,
    )
    .option(
      '--health-address <host:port>',
      '/metrics, /healthz and /readyz listener, or off',
      env['HYBRIDGATE_OPERATOR_HEALTH_ADDRESS'] ?? ':8081',
    )
    .option('--no-leader-elect', 'reconcile without leader election (one replica only)')
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the leader-election Lease (default: POD_NAMESPACE)',
      env['POD_NAMESPACE'],
    )
    .option(
      '--ca-propagation-delay <seconds>',
      'wait between CA rotation steps for kubelet to deliver Secrets',
      seconds,
      120_000,
    )
    .option(
      '--no-fleet-status',
      "don't read /clustering/data-planes from control planes into DataPlane status",
    )
    .option(
      '--no-gitops',
      "don't apply declarative configuration from the ConfigMaps a ControlPlane references",
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (flags: OperatorFlags) => {
      const logger = createLogger({ component: 'operator', level: flags.logLevel, destination: ctx.stderr });
      let health;
      try {
        health = parseAddress(flags.healthAddress);
      } catch (err) {
        ctx.err(`Error: --health-address: ${errorMessage(err)}`);
        throw new CliExit(2);
      }
      const leNamespace = flags.leaderElectionNamespace ?? flags.namespace;
      if (flags.leaderElect && !leNamespace) {
        ctx.err(
          'Error: leader election needs --leader-election-namespace (or POD_NAMESPACE, or --namespace); or pass --no-leader-elect',
        );
        throw new CliExit(2);
      }
      const { manager, client } = createOperator({
        kubeconfig: flags.kubeconfig,
        context: flags.context,
        namespace: flags.namespace,
        health,
        leaderElection: flags.leaderElect ? { namespace: leNamespace! } : undefined,
        caPropagationDelayMs: flags.caPropagationDelay,
        ...(flags.fleetStatus ? { fleetStatus: {} } : {}),
        ...(flags.gitops ? {} : { gitOps: false as const }),
        logger,
      });
      const stopped = new Promise<string>((resolve) => {
        for (const sig of ['SIGTERM', 'SIGINT']) ctx.signals.on(sig, () => resolve(sig));
      });
      await manager.start();
      logger.info(
        { namespace: flags.namespace ?? '(all)', healthPort: manager.healthPort },
        'operator started',
      );
      // Leadership lost: exit so that a restart campaigns afresh (controller-runtime does the same).
      const lost = new Promise<string>((resolve) => {
        const timer = setInterval(() => {
          if (manager.leadershipLost) {
            clearInterval(timer);
            resolve('leadership lost');
          }
        }, 1000);
        timer.unref();
        void stopped.then(() => clearInterval(timer));
      });
      const why = await Promise.race([stopped, lost]);
      logger.info({ reason: why }, 'operator stopping');
      await manager.stop();
      await client.close();
      if (why === 'leadership lost') throw new CliExit(1);
    });
}
