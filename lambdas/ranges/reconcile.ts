/*
 * THE decision of a file converted in byte ranges (issue 16), pure: given what its ranges' conversions
 * recorded so far, what must happen next. The CLI's and a converter's threads loop on it inline (they have
 * no time limit: lambdas/ranges/convert-ranges.ts); the workflow's join runs one step, converts inline only
 * what safely fits its remaining time, and hands the rest back to the state machine, whose reducer turns
 * it into range items (lambdas/handlers/convert-ranged.ts, the reconcile loop of README "Operations").
 */
import { RejectList } from '../core/csv/rejects';
import { Csv2LakeError } from '../core/model/errors';
import type { ColumnType } from '../core/model/schema';
import { outputSchema } from '../core/model/table-layout';
import type { PassOptions } from '../core/run/pass-options';
import { schemaFingerprint } from '../lake/dataset-schema';
import type { RangesToConvert } from '../shared/payloads';
import type { FileHead } from './file-head';
import { failedRange, mergeParts, misplacedRange } from './join-parts';
import type { RangeJob } from './part-pass';
import type { PartRecord } from './part-record';
import type { ByteRange } from './range-plan';

/**
 * Round 2's decision, kept beside the parts (`verdict.json`) so that it never travels in the state payload:
 * the file's final types, and every range's row start and end as round 1 found them (right, by then).
 */
export interface RangeVerdict {
  readonly round: 2;
  readonly types: readonly ColumnType[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Why, for a human: `column amount widened int64 → double`. */
  readonly reason: string;
}

/**
 * The name of the error a join ends with when it hands ranges back to the state machine: the join maps'
 * children catch it (lib/workflow/child-states.ts), the reducer lists its ranges for the retry map.
 */
export const RANGES_TO_CONVERT_ERROR = 'RangesToConvertError';

/**
 * A join that hands ranges back instead of converting them (round 2, missing parts, or more than its
 * remaining time allows): its message says what and why, `pending` which ranges (in the item record).
 */
export class RangesToConvertError extends Csv2LakeError {
  constructor(
    message: string,
    readonly pending: RangesToConvert,
  ) {
    super(message);
    this.name = RANGES_TO_CONVERT_ERROR;
  }
}

/**
 * A range that a retry join handed back before and finds still to convert: its conversion failed in the
 * retry map (tolerated), so the file fails instead of going round again (the loop's termination).
 */
export class RangeNotConvertedError extends Csv2LakeError {}

/** Why ranges are to be converted (again). */
export type ConvertReason = 'missing' | 'misplaced' | 'widened';

/** What a file in ranges needs next. */
export type ReconcileStep =
  | {
      readonly kind: 'convert';
      readonly why: ConvertReason;
      readonly round: 1 | 2;
      readonly jobs: readonly RangeJob[];
      /** A verdict decided by this step (round 2 starts): keep it, every later step needs it. */
      readonly verdict?: RangeVerdict;
      /** What is converted and why, for a human (a report's error message). */
      readonly message: string;
    }
  | { readonly kind: 'fail'; readonly error: Error }
  | {
      readonly kind: 'join';
      /** The parts to join, in file order. */
      readonly records: readonly PartRecord[];
      readonly types: readonly ColumnType[];
      readonly rounds: 1 | 2;
    };

/** What {@link reconcile} is given. */
export interface ReconcileState {
  /** The file's name, for errors. */
  readonly name: string;
  readonly head: FileHead;
  readonly pass: PassOptions;
  readonly ranges: readonly ByteRange[];
  /** The latest record of each range (by index; undefined: none yet), of whichever round. */
  readonly records: readonly (PartRecord | undefined)[];
  /** Round 2's decision, once made. */
  readonly verdict?: RangeVerdict;
}

/**
 * One step of the reconcile loop, in this order:
 * 1. with a verdict (round 2): every range needs a round-2 record; those without one are converted with
 *    the final types from their known starts; a round-2 record that failed, or did not end where round 1
 *    did, fails the file (round 2 converts the same bytes with wider types: it cannot move a boundary);
 *    when all are there, the join;
 * 2. a range without a record (its conversion failed, or never ran) is converted, speculatively as planned;
 * 3. boundaries: the first range whose start differs from the end of the range before is converted again
 *    from that end, now exact (`misplacedRange`);
 * 4. a range that failed with its start right fails the file (`failedRange`), as too many rejects do;
 * 5. a value that widened a column (or did not fit the guess): round 2 over every range, whose parts were
 *    all written with the narrower guess, with a new verdict;
 * 6. otherwise the join.
 * It ends: round 2 is decided once, and each move fixes a boundary for good (the range before it is right),
 * so at most `ranges` moves happen; a missing record is made by its conversion, or the file fails.
 */
export function reconcile(s: ReconcileState): ReconcileStep {
  const { ranges, records, verdict } = s;
  const count = ranges.length;
  if (verdict) return roundTwo(s, verdict);
  const missing = ranges.filter((r) => records[r.index] === undefined);
  if (missing.length > 0)
    return {
      kind: 'convert',
      why: 'missing',
      round: 1,
      jobs: missing.map((r) => ({ index: r.index, start: r.start, end: r.end, exactStart: false })),
      message: `${missing.length} of ${count} ranges have no part yet (their conversion failed or never ran): ${indices(missing)}`,
    };
  const present = records as readonly PartRecord[];
  const moved = misplacedRange(present, ranges);
  if (moved)
    return {
      kind: 'convert',
      why: 'misplaced',
      round: 1,
      jobs: [moved],
      message: `range ${moved.index} of ${count} converts again from byte ${moved.start}, where the range before it ended (its guessed start was ${present[moved.index]!.start})`,
    };
  const failure = failedRange(present, s.name);
  if (failure) return { kind: 'fail', error: failure };
  let merged;
  try {
    merged = mergeParts(s.name, s.head, s.pass, present, new RejectList(), s.head.types);
  } catch (error) {
    return { kind: 'fail', error: error as Error };
  }
  // Parts written with other columns than the join's (the dataset's schema, every range's floor, widened
  // by another file while they converted): they cannot share one footer, so round 2 as for a widening.
  const expected = columnsOf(s, merged.types);
  const mixed = present.some((r) => r.output?.schema !== undefined && r.output.schema !== expected);
  if (!merged.widened && !mixed) return { kind: 'join', records: present, types: merged.types, rounds: 1 };
  const decided: RangeVerdict = {
    round: 2,
    types: merged.types,
    starts: present.map((r) => r.start),
    ends: present.map((r) => r.end!),
    reason: merged.widened
      ? widening(s.head, merged.types)
      : "the dataset's schema changed while the ranges converted",
  };
  return {
    kind: 'convert',
    why: 'widened',
    round: 2,
    jobs: roundTwoJobs(ranges, decided),
    verdict: decided,
    message: `round 2: ${count} of ${count} ranges convert again: ${decided.reason}`,
  };
}

function roundTwo(s: ReconcileState, verdict: RangeVerdict): ReconcileStep {
  const { ranges, records } = s;
  const count = ranges.length;
  // A round-2 part written before the dataset's schema widened again (its floor) is converted again too.
  const expected = columnsOf(s, verdict.types);
  const todo = ranges.filter((r) => {
    const held = records[r.index];
    return held?.round !== 2 || (held.output?.schema !== undefined && held.output.schema !== expected);
  });
  if (todo.length > 0)
    return {
      kind: 'convert',
      why: 'widened',
      round: 2,
      jobs: roundTwoJobs(todo, verdict),
      message: `round 2: ${todo.length} of ${count} ranges convert again: ${verdict.reason}`,
    };
  const final = records as readonly PartRecord[];
  const failure = failedRange(final, s.name);
  if (failure) return { kind: 'fail', error: failure };
  const off = final.find(
    (r, i) => r.end !== verdict.ends[i] || r.start !== verdict.starts[i] || r.held !== true,
  );
  if (off)
    return {
      kind: 'fail',
      error: new Error(
        `${s.name}: round 2 of range ${off.index} did not reproduce round 1's boundaries or types ` +
          `(bytes ${off.start}-${off.end}, round 1: ${verdict.starts[off.index]}-${verdict.ends[off.index]})`,
      ),
    };
  return { kind: 'join', records: final, types: verdict.types, rounds: 2 };
}

/** The fingerprint of the columns the join writes with `types` (its floor: the dataset's schema now). */
function columnsOf(s: ReconcileState, types: readonly ColumnType[]): string {
  return schemaFingerprint(outputSchema(s.head.headers, types, s.pass.table).columns);
}

/** Round 2's jobs for `ranges`: exact starts and the final types, from the verdict. */
function roundTwoJobs(ranges: readonly ByteRange[], verdict: RangeVerdict): RangeJob[] {
  return ranges.map((r) => ({
    index: r.index,
    start: verdict.starts[r.index]!,
    end: r.end,
    exactStart: true,
    round: 2,
    types: verdict.types,
  }));
}

/** `0, 3, 7` (the first ten, then `…`). */
function indices(ranges: readonly ByteRange[]): string {
  const shown = ranges.slice(0, 10).map((r) => r.index);
  return `range${ranges.length > 1 ? 's' : ''} ${shown.join(', ')}${ranges.length > 10 ? ', …' : ''}`;
}

/** `column amount widened int64 → double, column note widened date → string`. */
export function widening(head: FileHead, types: readonly ColumnType[]): string {
  const changes: string[] = [];
  types.forEach((t, c) => {
    const before = head.types[c];
    if (before !== undefined && before !== t)
      changes.push(`column ${head.headers[c] ?? c + 1} widened ${before} → ${t}`);
  });
  if (changes.length === 0) return 'a value did not fit the types guessed from the head of the file';
  return changes.length > 3
    ? `${changes.slice(0, 3).join(', ')} and ${changes.length - 3} more`
    : changes.join(', ');
}

/**
 * The latest record of each range from records of any round (`r<round>-<index>.json`): a round-2 record
 * over a round-1 one; undefined where none.
 */
export function latestRecords(found: readonly PartRecord[], count: number): (PartRecord | undefined)[] {
  const latest: (PartRecord | undefined)[] = Array.from({ length: count }, () => undefined);
  for (const r of found) {
    if (r.index < 0 || r.index >= count) continue;
    const held = latest[r.index];
    if (!held || r.round >= held.round) latest[r.index] = r;
  }
  return latest;
}
