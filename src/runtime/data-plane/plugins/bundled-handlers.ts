import type { PluginHandler } from './handler.js';

/** The bundled plugins' handlers by name (the data plane's half of src/runtime/plugins/registry.ts). */
export const BUNDLED_HANDLERS: Readonly<Record<string, PluginHandler<unknown>>> = Object.freeze({});
