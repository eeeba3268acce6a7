/** Moved to model/schema-file.ts: this module re-exports it until every importer outside the core follows. */
export * from './model/schema-file';
