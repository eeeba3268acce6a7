/** Moved to model/avro-names.ts: this module re-exports it until every importer outside the core follows. */
export * from '../model/avro-names';
