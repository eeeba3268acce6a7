/** Moved to model/errors.ts: re-exported until lambdas/handlers/convert-item.ts and its test (being edited by others) follow. */
export * from './model/errors';
