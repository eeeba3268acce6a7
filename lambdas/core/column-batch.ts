/** Moved to model/column-batch.ts: this module re-exports it until every importer outside the core follows. */
export * from './model/column-batch';
