/** Moved to model/errors.ts: this module re-exports it until every importer outside the core follows. */
export * from './model/errors';
