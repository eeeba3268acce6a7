import type { ByteSink } from '../model/sink';

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Writes rejected rows as CSV with the header `line,reason,raw`: the 1-based physical line where the row
 * starts, why it was rejected, and the row's raw text (line terminator excluded). The sink is opened on
 * the first rejected row only.
 */
export class RejectSink {
  count = 0;
  bytes = 0;
  private sink: ByteSink | undefined;
  private pending: string[] = [];

  constructor(private readonly open: () => ByteSink) {}

  add(line: number, reason: string, raw: string): void {
    if (this.count === 0) this.pending.push('line,reason,raw\n');
    this.count++;
    this.pending.push(`${line},${csvField(reason)},${csvField(raw)}\n`);
  }

  /** Writes what was added since the last flush. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.sink ??= this.open();
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.bytes += chunk.length;
    await this.sink.write(chunk);
  }
}

/** Where rejected rows are recorded: the rejects file ({@link RejectSink}), or a list. */
export interface RejectRecorder {
  readonly count: number;
  add(line: number, reason: string, raw: string): void;
}

/** A rejected row. */
export interface RejectedRow {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

/** A {@link RejectRecorder} that keeps the rows in memory (bounded by `maxRejects`). */
export class RejectList implements RejectRecorder {
  readonly rows: RejectedRow[] = [];
  get count(): number {
    return this.rows.length;
  }
  add(line: number, reason: string, raw: string): void {
    this.rows.push({ line, reason, raw });
  }
}
