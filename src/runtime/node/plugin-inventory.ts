import type { Conf } from '../config/conf/types.js';
import { getPluginSchema } from '../plugins/registry.js';

/**
 * The plugins this node has loaded, with versions, sorted case-insensitively by name as Kong's
 * basic_info lists them. A CP compares a DP's list with the plugins its configuration uses (seed 002).
 */
export function loadedPlugins(conf: Conf): { name: string; version: string }[] {
  const out: { name: string; version: string }[] = [];
  for (const name of conf.plugins) {
    const schema = getPluginSchema(name);
    if (schema) out.push({ name, version: schema.version });
  }
  return out.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}
