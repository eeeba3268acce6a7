/*
 * The keys the plan passed over (lambdas/lake/plan.ts): unchanged CSV keys, reported skipped, and keys that
 * are not CSV, reported ignored; no child ran for them. They are never held: `passed.jsonl` is read as a
 * stream, in S3's key order, each time the report needs it (to count, to leave them out of the earlier
 * report's carry, to merge them into report.json's lists, to carry their inventory entries). A passed key that
 * ran after all (an unchanged output of a dataset whose schema this run widened goes round the retry map) is
 * accounted by its records, never twice.
 */
import type { ObjectStore } from '../../io/object-store';
import type { InventoryEntry } from '../../lake/inventory';
import { KeyCursor } from '../../lake/inventory-io';
import { isIgnoredLine, type PassedLine, passedLines, type PlanSummary } from '../../lake/plan-files';
import type { RunContext } from '../../shared/payloads';
import type { ItemAccount, RunAccounting } from './accounting';

/** The plan's part of the report. */
export interface PlanReport {
  readonly listed: number;
  readonly planned: number;
  readonly unchanged: number;
  readonly ignored: number;
  readonly reasons: Readonly<Record<string, number>>;
  readonly inventory: PlanSummary['inventory'];
}

/** A run's passed keys, read from its plan. */
export class PassedKeys {
  /** Passed keys reported from the plan (not run after all), after {@link count}. */
  unchanged = 0;
  ignored = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly run: RunContext,
    readonly summary: PlanSummary,
  ) {}

  private lines(): AsyncIterable<PassedLine> {
    return passedLines(this.store, this.run.outputBucket, this.summary.passedKey);
  }

  /** What report.json says of the plan. */
  report(): PlanReport {
    const { listed, planned, unchanged, ignored, reasons, inventory } = this.summary;
    return { listed, planned, unchanged, ignored, reasons, inventory };
  }

  /**
   * A cursor that says whether a key is a passed one (for the earlier report's carry: its passed keys are
   * the plan's again, never carried as keys of their own). One for files and one for ignored keys, each
   * asked in key order.
   */
  cursor(): KeyCursor<PassedLine> {
    return new KeyCursor(() => this.lines());
  }

  /**
   * Counts the passed keys the account does not know (after it settled), and gives each unchanged one's
   * entry to `each` (its dataset and partitions are the run's, as a skipped record's were).
   */
  async count(account: RunAccounting, each: (entry: InventoryEntry) => Promise<void>): Promise<void> {
    this.unchanged = 0;
    this.ignored = 0;
    for await (const line of this.lines()) {
      if (account.knows(line.k)) continue;
      if (isIgnoredLine(line)) this.ignored++;
      else {
        this.unchanged++;
        await each(line);
      }
    }
  }

  /** The unchanged keys the account does not know, as files of report.json (skipped, nothing read). */
  async *files(account: RunAccounting): AsyncGenerator<ItemAccount> {
    for await (const line of this.lines()) {
      if (isIgnoredLine(line) || account.knows(line.k)) continue;
      yield skippedFile(line.k);
    }
  }

  /** The ignored keys the account does not know. */
  async *ignoredKeys(account: RunAccounting): AsyncGenerator<string> {
    for await (const line of this.lines()) if (isIgnoredLine(line) && !account.knows(line.k)) yield line.k;
  }

  /** The inventory entries of the unchanged keys the account does not know: still what the plan read. */
  async *entries(account: RunAccounting): AsyncGenerator<InventoryEntry> {
    for await (const line of this.lines()) if (!isIgnoredLine(line) && !account.knows(line.k)) yield line;
  }
}

/** An unchanged key's account in report.json: skipped, as a file whose converters found it unchanged. */
function skippedFile(key: string): ItemAccount {
  return {
    key,
    status: 'skipped',
    rows: 0,
    rejectedRows: 0,
    bytesIn: 0,
    bytesOut: {},
    durationMs: 0,
    errors: [],
  };
}
