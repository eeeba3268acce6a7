import type { ColumnType, TableSchema } from '../model/schema';
import { typeBit } from '../model/type-lattice';
import type { RowSink } from '../rows/value-rules';

/** Where the first pass sends converted rows while its type guess holds. */
export interface SpeculativeOutput {
  /** Builds the output schema for header names and column types. */
  schemaFor(headers: readonly string[], types: readonly ColumnType[]): TableSchema;
  /** Opens the writers for a schema (once). */
  open(schema: TableSchema): RowSink;
}

/** The speculative conversion of the first pass: guessed types and the writers. */
export class Speculation {
  active = true;
  readonly types: ColumnType[];
  /** Per column, the type bit values must fit (0: text, anything fits). */
  readonly check: Uint8Array;
  /**
   * Per column, 1 when its values are classified as they are converted: a column the sample had no value
   * for (written as text) and an int64 column.
   */
  readonly track: Uint8Array;
  private rows: RowSink | undefined;

  constructor(
    readonly headers: readonly string[],
    types: readonly ColumnType[],
    track: Uint8Array,
    private readonly output: SpeculativeOutput,
    private readonly onOpen: () => void,
  ) {
    this.types = [...types];
    this.check = Uint8Array.from(this.types, (t) => (t === 'string' ? 0 : typeBit(t)));
    this.track = track;
  }

  /** The sink to append to, created with the writers on first use. */
  target(): RowSink {
    if (!this.rows) {
      this.rows = this.output.open(this.output.schemaFor(this.headers, this.types));
      this.onOpen();
    }
    return this.rows;
  }

  /** The guess is final when no value broke it and the tracked columns kept their guessed type. */
  holds(finalTypes: readonly ColumnType[]): boolean {
    return finalTypes.every((t, c) => t === this.types[c]);
  }

  async flush(final: boolean): Promise<void> {
    await (final ? this.target() : this.rows)?.flush(final);
  }
}
