/** Moved to model/schema.ts: re-exported until lambdas/handlers/convert-item.ts and its test (being edited by others) follow. */
export * from './model/schema';
