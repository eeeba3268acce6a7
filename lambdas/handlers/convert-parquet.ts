import { createConverterHandler } from './converter-handler';

/** The Parquet converter Lambda. */
export const handler = createConverterHandler('parquet');
