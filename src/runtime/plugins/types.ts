import type { z } from 'zod';

/** Every protocol a plugin may be scoped to (Kong's `typedefs.protocols`). */
export const PLUGIN_PROTOCOLS = [
  'grpc',
  'grpcs',
  'http',
  'https',
  'tcp',
  'tls',
  'tls_passthrough',
  'udp',
  'ws',
  'wss',
] as const;

/** A protocol a plugin can run on. */
export type PluginProtocol = (typeof PLUGIN_PROTOCOLS)[number];

/** The HTTP-family protocols: the default scope of an HTTP plugin (Kong's `protocols_http`). */
export const HTTP_PROTOCOLS: readonly PluginProtocol[] = ['grpc', 'grpcs', 'http', 'https'];

/**
 * A plugin's configuration contract, shared by the control plane (Admin API validation, compatibility
 * checks by version) and the data plane (validating pushed config before handlers see it).
 */
export interface PluginSchema {
  name: string;
  /** Semver; the CP compares it with the DP's before pushing (Kong's plugin VERSION). */
  version: string;
  /** Kong's PRIORITY: higher runs first within a phase. */
  priority: number;
  /** Protocols the plugin may be enabled for. */
  protocols: readonly PluginProtocol[];
  /** The `protocols` a plugin instance gets when none is given. */
  defaultProtocols: readonly PluginProtocol[];
  /** The plugin cannot be scoped to a consumer (auth plugins: the consumer is what they find). */
  noConsumer?: boolean;
  /** The plugin cannot be scoped to a route. */
  noRoute?: boolean;
  /** The plugin cannot be scoped to a service. */
  noService?: boolean;
  /** Strict zod schema of `config`, filling Kong's defaults; record-level checks report under @entity. */
  config: z.ZodType<Record<string, unknown>>;
}
