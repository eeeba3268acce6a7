import { localeReader } from '../rows/locale';
import { sniffLayout } from '../csv/sniff-layout';
import type { PassOptions } from './pass-options';
import { sniffHeader } from './sniff-header';

const SNIFF_BYTES = 64 * 1024;
/**
 * Bytes the header is sniffed from: thousands of rows in a usual file. Sniffing the whole 1 MiB sample
 * cost 5-6 ms per conversion on the bench's mixed CSV.
 */
const HEADER_SNIFF_BYTES = 256 * 1024;
/** The dialect the first pass settled on (given or sniffed): every later pass of the file reads with it. */
export interface ResolvedDialect {
  readonly delimiter: string;
  readonly header: boolean;
  /** Physical lines before the header, blanked before tokenizing (see {@link PreambleBlanker}). */
  readonly skipRows: number;
  /** The comment byte, or -1. */
  readonly comment: number;
}

/**
 * The dialect of a file from the first bytes of its decoded input: what the options leave open is
 * sniffed, the delimiter, preamble and comment character from the first 64 KiB ({@link sniffLayout}), the
 * header from the first 256 KiB ({@link sniffHeader}).
 */
export function resolveDialect(sample: Uint8Array, complete: boolean, options: PassOptions): ResolvedDialect {
  const window = sample.subarray(0, SNIFF_BYTES);
  const layout =
    options.delimiter !== undefined && options.skipRows !== undefined
      ? { delimiter: options.delimiter, skipRows: options.skipRows, comment: options.comment }
      : sniffLayout(
          window,
          complete && sample.length <= SNIFF_BYTES,
          { delimiter: options.delimiter, skipRows: options.skipRows },
          options,
        );
  const header =
    options.header ??
    sniffHeader(sample.subarray(0, HEADER_SNIFF_BYTES), complete && sample.length <= HEADER_SNIFF_BYTES, {
      delimiter: layout.delimiter.charCodeAt(0),
      quote: options.quote,
      escape: options.escape,
      comment: layout.comment,
      skipRows: layout.skipRows,
      nullTokens: options.nullTokens,
      locale: localeReader(options.values),
      names: options.schema && Object.keys(options.schema.columns),
      lakeNames: options.lakeNames,
    });
  return { ...layout, header };
}
