// hyparquet ships types for this module, which moduleResolution "node" does not find through its exports map.
declare module 'hyparquet/src/column.js' {
  import type { DataReader, PageHeader } from 'hyparquet';
  /** Reads one page header (thrift compact) at `reader.offset`, advancing it past the header. */
  export function parquetHeader(reader: DataReader): PageHeader;
}

declare module 'hyparquet/src/encoding.js' {
  import type { DataReader } from 'hyparquet';
  /** Decodes `output.length` values of the RLE / bit-packing hybrid (of `length` bytes) at `reader.offset`. */
  export function readRleBitPackedHybrid(
    reader: DataReader,
    width: number,
    output: number[] | Int32Array,
    length?: number,
  ): void;
}
