import type { RejectRecorder } from '../csv/rejects';
import { fieldText, isBlank, rowText } from '../csv/fields';
import type { CsvTokenizer } from '../csv/tokenizer';
import { brokenQuotingReason } from '../csv/tokens';
import { lakeColumnNames } from '../model/column-names';
import { MalformedCsvError, quoted } from '../model/errors';
import { decimalShapesOf } from '../model/kinds';
import { isDecimal, type ColumnType } from '../model/schema';
import { tableFloors } from '../model/table-layout';
import {
  floorMask,
  INFERENCE_MASK,
  M_DECIMAL,
  narrowestType,
  T_ANY,
  T_DECIMAL,
  T_STRING,
  typeBit,
} from '../model/type-lattice';
import { classify } from '../rows/classify';
import { COMMA_DECIMAL, DOT_GROUPED, spellingOf } from '../rows/locale';
import { classifyValue, noValue, type FieldRules } from '../rows/value-rules';
import type { ResolvedDialect } from './dialect-resolution';
import { firstMisfit, fitsDecimal, resolveDeclared } from './declared-types';
import { fieldRules, type PassOptions } from './pass-options';
import { Speculation, type SpeculativeOutput } from './speculation';
import type { RangeResult } from './split-hooks';

/** The classification mask of any value of a type (what a column of only such values ends with). */
const VALUE_MASKS: Record<string, number> = {
  boolean: classifyText('true'),
  int32: classifyText('1'),
  int64: classifyText('3000000000'),
  double: classifyText('1.5'),
  date: classifyText('2000-01-01'),
  timestamp: classifyText('2000-01-01T00:00:00'),
  string: T_STRING,
};

/** The classification mask of any value of a type. */
function valueMask(type: ColumnType): number {
  return VALUE_MASKS[type] ?? M_DECIMAL;
}

function classifyText(text: string): number {
  const b = Buffer.from(text);
  return classify(b, 0, b.length);
}

/** Header, rejects and type inference over the rows of one pass. */
export class InferenceState {
  headers: string[] | undefined;
  /** Whether the first row is the header, and the lines above it: set once the dialect is known. */
  layout: Pick<ResolvedDialect, 'header' | 'skipRows' | 'delimiter'> = {
    header: true,
    skipRows: 0,
    delimiter: ',',
  };
  masks = new Uint8Array(0);
  seen = new Uint8Array(0);
  /**
   * Per column, the candidate types its final type is taken from: {@link INFERENCE_MASK}, or the mask of
   * its table type (the floor, see {@link floorMask}).
   */
  floors = new Uint8Array(0);
  /** Per column, 1 when the table has it: with no value, it takes the table's type. */
  floored = new Uint8Array(0);
  declared: (number | undefined)[] = [];
  /**
   * Per column, its own decimal type (the schema's, else the table's), whose precision and scale its
   * values are checked against for the decimal bit; undefined for the others (`decimal(38,0)`).
   */
  decimals: (ColumnType | undefined)[] = [];
  /** {@link decimals} as precision and scale at `2c`, `2c + 1`; undefined when no column has one. */
  private shapes: Uint8Array | undefined;
  readonly rejectedLines = new Set<number>();
  rows = 0;
  /** Null tokens and value options, compiled once. */
  private readonly rules: FieldRules;
  /**
   * With {@link sniffSpelling}: per column, 1 when a value is a default number that is also a thousands
   * grouping (`1.200`); and how many values were written with a decimal comma (`3,14`).
   */
  private dotGrouped: Uint8Array | undefined;
  private commaDecimals = 0;
  /** Columns kept as text whatever their values (see {@link keepAsText}). */
  private readonly textColumns = new Set<number>();
  /** What the conversion should tell the user (a column kept as text and the option to pass). */
  readonly warnings: string[] = [];

  constructor(
    private readonly name: string,
    private readonly options: PassOptions,
    /** Undefined for a dry run over a sample: bad rows are skipped silently. */
    private readonly rejects: RejectRecorder | undefined,
  ) {
    this.rules = fieldRules(options);
  }

  /**
   * While a guess holds, its untracked columns are not classified: every value so far fitted the guessed
   * type, so the column's mask is exactly that type's value mask.
   */
  adoptGuess(spec: Speculation): void {
    for (let c = 0; c < this.masks.length; c++) {
      if (spec.track[c] === 1) continue;
      this.masks[c] = valueMask(spec.types[c]!);
      this.seen[c] = 1;
    }
  }

  /**
   * Looks at how numbers are spelled (a dry run over the sample of a file read with no decimal or
   * thousands separator given): see {@link ambiguousColumns}.
   */
  sniffSpelling(): void {
    this.dotGrouped = new Uint8Array(0);
  }

  /**
   * The columns whose numbers cannot be told apart: values such as `1.200` (1.2, or 1200 with a thousands
   * dot) in a file whose other numbers are written with a decimal comma (`3,14`). Reading them either way
   * could be wrong: they stay text, and the user is told which option to pass.
   */
  ambiguousColumns(): number[] {
    const dots = this.dotGrouped;
    if (dots === undefined || this.commaDecimals === 0) return [];
    const types = this.finalTypes();
    return [...dots.keys()].filter((c) => dots[c] === 1 && types[c] !== 'string');
  }

  /** Keeps columns as text whatever their values (as if a schema said so), telling why. */
  keepAsText(columns: readonly number[], headers: readonly string[]): void {
    for (const c of columns) {
      this.textColumns.add(c);
      if (this.headers !== undefined) this.declared[c] = T_STRING;
    }
    if (columns.length > 0)
      this.warnings.push(
        `column(s) ${columns.map((c) => quoted(headers[c]!)).join(', ')} kept as text: values such as 1.200 ` +
          `in a file whose numbers use a decimal comma (3,14) may be 1.2 or 1200; pass --decimal-separator ',' ` +
          `(with --thousands-separator '.' if 1.200 is 1200) or --decimal-separator '.' to read them as numbers`,
      );
  }

  finalTypes(): ColumnType[] {
    return (this.headers ?? []).map((_, c): ColumnType => {
      const bit = this.declared[c];
      const decimal = this.decimals[c];
      if (bit !== undefined) return narrowestType(bit, true, decimal);
      return narrowestType(
        this.masks[c]! & this.floors[c]!,
        this.seen[c] === 1 || this.floored[c] === 1,
        decimal,
      );
    });
  }

  private reject(t: CsvTokenizer, r: number, reason: string): void {
    if (this.rejects) this.record(t.rowLine[r]!, reason, rowText(t, r));
  }

  /**
   * Records a rejected row.
   * @throws MalformedCsvError when that makes more than `maxRejects`
   */
  record(line: number, reason: string, raw: string): void {
    const rejects = this.rejects!;
    this.rejectedLines.add(line);
    rejects.add(line, reason, raw);
    if (rejects.count > this.options.maxRejects) {
      throw new MalformedCsvError(
        `${this.name}: more than ${this.options.maxRejects} rows rejected (latest at line ${line}: ${reason}); ` +
          // Judged from the line, not the rows counted so far: a file cut between two threads gives the same message.
          (rejects.count > 10 && rejects.count * 2 > line - this.layout.skipRows
            ? `${this.advice(line - this.layout.skipRows - 1)}; or fix the file or raise --max-rejects`
            : `fix the file or raise --max-rejects`),
        { line },
      );
    }
  }

  /** Whether most rows were rejected: more than 10, and more than were accepted. */
  misread(): boolean {
    const rejected = this.rejectedLines.size;
    return rejected > 10 && rejected > this.rows;
  }

  /** What to try when most rows are rejected (of `rows`, about as many as there were). */
  advice(rows = this.rejectedLines.size + this.rows): string {
    const { delimiter, header, skipRows } = this.layout;
    return (
      `most rows were rejected (${this.rejectedLines.size} of ${rows}), so the ` +
      `file was most likely read with the wrong dialect (delimiter ${quoted(delimiter)}, ` +
      `${header ? `header on line ${skipRows + 1}` : 'no header'}${skipRows > 0 ? `, ${skipRows} line(s) skipped above it` : ''}): ` +
      `try --delimiter, --skip <lines above the header>, --comment '#', or --quote none`
    );
  }

  /** Takes in what a pass over a later part of the same file found (its lines `lineOffset` further on). */
  merge(part: RangeResult, lineOffset: number): void {
    for (const row of part.rejects) this.record(row.line + lineOffset, row.reason, row.raw);
    this.rows += part.rows;
    for (let c = 0; c < this.masks.length; c++) {
      this.masks[c]! &= part.masks[c]!;
      this.seen[c]! |= part.seen[c]!;
    }
  }

  private start(t: CsvTokenizer, r: number): void {
    if (t.rowBroken[r] !== 0) {
      throw new MalformedCsvError(
        `${this.name}: the first row (line ${t.rowLine[r]}) has ${brokenQuotingReason(t.rowBroken[r]!)}; ` +
          `fix the quoting of that row`,
        { line: t.rowLine[r]! },
      );
    }
    const first = t.rowFirstField[r]!;
    const n = t.rowFieldCount[r]!;
    const headers: string[] = [];
    for (let c = 0; c < n; c++)
      headers.push(this.layout.header ? fieldText(t, first + c) : `column_${c + 1}`);
    this.begin(headers);
  }

  /** Starts with known column names: every row is then data. */
  begin(headers: string[]): void {
    this.headers = headers;
    this.masks = new Uint8Array(headers.length).fill(T_ANY);
    this.seen = new Uint8Array(headers.length);
    const table = this.options.table;
    const floors = table ? tableFloors(headers, table) : [];
    this.floors = Uint8Array.from(headers, (_, c) => {
      const floor = floors[c];
      return floor === undefined ? INFERENCE_MASK : floorMask(floor);
    });
    this.floored = Uint8Array.from(headers, (_, c) => (floors[c] === undefined ? 0 : 1));
    const declared = resolveDeclared(
      this.name,
      headers,
      this.options.schema,
      this.options.lakeNames ? lakeColumnNames(headers) : undefined,
    );
    this.declared = declared.map((type, c) =>
      this.textColumns.has(c) ? T_STRING : type === undefined ? undefined : typeBit(type),
    );
    if (this.dotGrouped !== undefined) this.dotGrouped = new Uint8Array(headers.length);
    this.decimals = headers.map((_, c) => {
      const type = declared[c] ?? floors[c];
      return type !== undefined && isDecimal(type) ? type : undefined;
    });
    this.shapes = this.decimals.some((type) => type !== undefined)
      ? decimalShapesOf(this.decimals.map((type) => type ?? 'string'))
      : undefined;
  }

  onRows(t: CsvTokenizer, spec: Speculation | undefined): void {
    const b = t.buffer;
    const rules = this.rules;
    const tokens = rules.tokens;
    const locale = rules.locale;
    for (let r = 0; r < t.rowCount; r++) {
      if (this.headers === undefined) {
        if (t.rowLine[r]! <= this.layout.skipRows || isBlank(t, r)) continue;
        this.start(t, r);
        if (spec && spec.headers.length !== this.headers!.length) spec.active = false;
        if (this.layout.header) continue;
      }
      const masks = this.masks;
      const columns = masks.length;
      if (t.rowBroken[r] !== 0) {
        this.reject(t, r, brokenQuotingReason(t.rowBroken[r]!));
        continue;
      }
      const n = t.rowFieldCount[r]!;
      if (n !== columns) {
        // A blank line: a null row in a one-column file (n === columns), nothing in a wider one.
        if (n === 1 && isBlank(t, r)) continue;
        this.reject(t, r, `expected ${columns} fields, found ${n}`);
        continue;
      }
      const first = t.rowFirstField[r]!;
      if (this.options.schema) {
        const misfit = firstMisfit(t, first, this.declared, this.shapes, rules);
        if (misfit !== undefined) {
          const value = fieldText(t, first + misfit);
          const type = narrowestType(this.declared[misfit]!, true, this.decimals[misfit]);
          this.reject(
            t,
            r,
            `column ${quoted(this.headers![misfit]!)}: ${quoted(value)} is not a valid ${type}`,
          );
          continue;
        }
      }
      this.rows++;
      if (spec?.active) {
        const bad = spec.target().append(t, first, rules, spec.check, spec.track, masks, this.seen);
        if (bad < 0) continue;
        // A value wider than the guess: stop converting, carry on inferring from what the guess implies.
        spec.active = false;
        this.adoptGuess(spec);
      }
      const shapes = this.shapes;
      const dots = this.dotGrouped;
      for (let c = 0; c < columns; c++) {
        const f = first + c;
        const s = t.fieldStart[f]!;
        const e = t.fieldEnd[f]!;
        if (noValue(b, s, e, tokens)) continue;
        if (dots !== undefined) {
          const spelling = spellingOf(b, s, e);
          if (spelling === DOT_GROUPED) dots[c] = 1;
          else if (spelling === COMMA_DECIMAL) this.commaDecimals++;
        }
        const m = masks[c]!;
        if (m === T_STRING) {
          this.seen[c] = 1;
          continue;
        }
        let k = locale === undefined ? classify(b, s, e) : classifyValue(locale, b, s, e);
        // A column with a decimal of its own: the decimal bit says whether that decimal holds the value.
        if (shapes !== undefined && shapes[2 * c] !== 0)
          k = fitsDecimal(b, s, e, shapes, c, locale) ? k | T_DECIMAL : k & ~T_DECIMAL;
        masks[c] = m & k;
        this.seen[c] = 1;
      }
    }
  }
}

/**
 * The speculation a dry run over the sample suggests. Besides the columns the sample had no value for
 * and the table does not type (guessed as text, they may turn out narrower), int64 columns are tracked:
 * whether their values are doubles exactly (see `classify`) is not implied by their fitting int64, and
 * decides what a later decimal widens them to. A column the sample had no value for but the table types
 * is guessed as the table's type, which every value is then checked against: like a column the sample
 * had values for, what fits is implied.
 */
export function speculate(guess: InferenceState, output: SpeculativeOutput, onOpen: () => void): Speculation {
  const track = Uint8Array.from(guess.finalTypes(), (type, c) =>
    guess.declared[c] !== undefined || ((guess.seen[c] === 1 || guess.floored[c] === 1) && type !== 'int64')
      ? 0
      : 1,
  );
  return new Speculation(guess.headers!, guess.finalTypes(), track, output, onOpen);
}
