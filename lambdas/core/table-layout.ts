/** Moved to model/table-layout.ts: this module re-exports it until every importer outside the core follows. */
export * from './model/table-layout';
