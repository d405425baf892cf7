/** The declarative format: parse (YAML/JSON, 1.1/2.1/3.0), validate pushed config, export. */
export { loadDeclarativeFile, parseDeclarative, validateDeclarativeConfig } from './parse.js';
export { exportDeclarative } from './export.js';
export type { DeclarativeConfig, DeclarativeIssue, DeclarativeOptions } from './types.js';
