/**
 * The numbered migrations of the PostgreSQL store, oldest first. A migration, once released, never
 * changes: a new need is a new entry. Each runs in its own transaction together with its schema_meta
 * record, so a crash leaves it either fully applied or not at all.
 *
 * Layout (why): one entities table keyed by (family, id) rather than a table per family, because the
 * store's rules are generic over the entity definitions; unique values and foreign-key references get
 * their own tables so PostgreSQL itself enforces them (primary key, deferred foreign keys) even if two
 * control planes raced; ids use the "C" collation so listings page in the same byte order as LMDB.
 */

/** One schema migration. */
export interface Migration {
  /** `NNN_what`, unique; the order of MIGRATIONS is the order they run in. */
  name: string;
  /** SQL run in one transaction (may hold several statements). */
  up: string;
}

const BASE = `
CREATE TABLE hg_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version   bigint  NOT NULL DEFAULT 0 CHECK (version >= 0)
);
INSERT INTO hg_state (singleton, version) VALUES (true, 0);

CREATE TABLE hg_entities (
  family text NOT NULL,
  id     text COLLATE "C" NOT NULL,
  entity json NOT NULL,
  tags   text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (family, id)
);
CREATE INDEX hg_entities_tags ON hg_entities USING gin (tags);

CREATE TABLE hg_unique_keys (
  key    text COLLATE "C" PRIMARY KEY,
  family text NOT NULL,
  id     text COLLATE "C" NOT NULL,
  FOREIGN KEY (family, id) REFERENCES hg_entities (family, id)
    ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX hg_unique_keys_owner ON hg_unique_keys (family, id);

CREATE TABLE hg_refs (
  family        text NOT NULL,
  field         text NOT NULL,
  parent_family text NOT NULL,
  parent_id     text COLLATE "C" NOT NULL,
  id            text COLLATE "C" NOT NULL,
  PRIMARY KEY (family, field, parent_id, id),
  FOREIGN KEY (family, id) REFERENCES hg_entities (family, id)
    ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (parent_family, parent_id) REFERENCES hg_entities (family, id)
    DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX hg_refs_child ON hg_refs (family, id);
CREATE INDEX hg_refs_parent ON hg_refs (parent_family, parent_id);

CREATE TABLE hg_changes (
  version      bigint PRIMARY KEY,
  changes      json NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hg_records (
  namespace text NOT NULL,
  id        text COLLATE "C" NOT NULL,
  value     json NOT NULL,
  PRIMARY KEY (namespace, id)
);
`;

/** Every migration of this build, in order. */
export const MIGRATIONS: readonly Migration[] = [{ name: '000_base', up: BASE }];

/** The tables `migrations reset` drops (schema_meta last: it marks the database as bootstrapped). */
export const OWNED_TABLES = [
  'hg_records',
  'hg_changes',
  'hg_refs',
  'hg_unique_keys',
  'hg_entities',
  'hg_state',
  'schema_meta',
];
