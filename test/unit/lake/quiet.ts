/* Imported first by the workflow tests: the handlers read these when their modules load. */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
export {};
