import type { Entity, EntityName } from '../entities/definition.js';

/** The declarative format versions accepted; older ones are migrated to 3.0 on load. */
export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;

/**
 * The flat normalized configuration: every entity validated, defaults filled, foreign keys as `{ id }`,
 * families in ENTITY_NAMES order (only the non-empty ones), entities sorted by id so equal content
 * always serialises (and hashes) the same. `_transform: false` because secrets are already transformed.
 */
export type DeclarativeConfig = {
  _format_version: '3.0';
  _transform: false;
} & Partial<Record<EntityName, Entity[]>>;

/** One problem in a declarative document, at a path such as `services[0].routes[1].paths[0]`. */
export interface DeclarativeIssue {
  path: string;
  message: string;
}

/** Options of the declarative loader. */
export interface DeclarativeOptions {
  /** Where the text came from (a file name), for error messages. */
  source?: string;
  /** Plugin names allowed (conf `plugins`); every bundled plugin when absent. */
  enabledPlugins?: readonly string[];
}
