import { Command } from 'commander';
import { HYBRIDGATE_VERSION } from '../../runtime/version.js';
import type { CliContext } from '../cli-context.js';

/** `hybridgate version [--json]`: the runtime version (Kong's `kong version`). */
export function versionCommand(ctx: CliContext): Command {
  return new Command('version')
    .description('print the version')
    .option('--json', 'print {"version": "..."} instead of text', false)
    .action((opts: { json: boolean }) => {
      ctx.out(
        opts.json ? JSON.stringify({ version: HYBRIDGATE_VERSION }) : `Hybridgate ${HYBRIDGATE_VERSION}`,
      );
    });
}
