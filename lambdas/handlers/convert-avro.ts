import { createConverterHandler } from './converter-handler';

/** The Avro converter Lambda. */
export const handler = createConverterHandler('avro');
