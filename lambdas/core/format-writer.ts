/** Moved to model/writer.ts: this module re-exports it until every importer outside the core follows. */
export * from './model/writer';
