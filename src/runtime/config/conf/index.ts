/** The conf loader's public surface: load, redact, and the tables others may want to read. */
export { loadConf, suggestProperty, type LoadConfOptions, type LoadedConf, type ConfProblem } from './load-conf.js';
export { redactConf, REDACTED, INLINE_PEM } from './redact-conf.js';
export { PROPERTIES, PROPERTY_NAMES, BUNDLED_PLUGINS, SECRET_PROPERTIES, type PropertySpec } from './properties.js';
export { keyMatchesCertificate } from './role-rules.js';
export type { Conf, Role, ListenAddress, PemValue, HostPort } from './types.js';
