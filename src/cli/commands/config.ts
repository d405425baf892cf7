import { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConf } from '../../runtime/config/conf/load-conf.js';
import { loadDeclarativeFile } from '../../runtime/config/declarative/index.js';
import type { CliContext } from '../cli-context.js';

/** Entity counts of a parsed config, `services 2, routes 3`, for the success line. */
function summary(config: Record<string, unknown>): string {
  const parts = Object.entries(config)
    .filter(([k, v]) => !k.startsWith('_') && Array.isArray(v) && v.length > 0)
    .map(([k, v]) => `${k} ${(v as unknown[]).length}`);
  return parts.length > 0 ? parts.join(', ') : 'no entities';
}

/**
 * `hybridgate config validate FILE [-c CONF]` (Kong's `kong config parse`): checks a declarative file
 * as a node would load it. With -c, the conf's `plugins` decides which plugins the file may use.
 */
export function configCommand(ctx: CliContext): Command {
  const config = new Command('config').description('declarative configuration utilities');
  config
    .command('validate')
    .description('validate a declarative configuration file (YAML or JSON)')
    .argument('<file>', 'the declarative configuration file')
    .option('-c, --conf <file>', 'a conf file whose plugins setting applies')
    .action(async (file: string, opts: { conf?: string }) => {
      const path = resolve(ctx.cwd, file);
      const enabledPlugins =
        opts.conf === undefined
          ? undefined
          : loadConf({ file: opts.conf, env: ctx.env, cwd: ctx.cwd }).conf.plugins;
      const parsed = await loadDeclarativeFile(path, enabledPlugins ? { enabledPlugins } : {});
      ctx.out(`parse successful: ${path} (${summary(parsed)})`);
    });
  return config;
}
