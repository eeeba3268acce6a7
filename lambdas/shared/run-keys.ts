/*
 * Where a run keeps what it writes about itself, in the output bucket: the one home of the `_runs/` layout.
 * The converters, the planner, the reducer, the local runner, the state machine's map results and the
 * construct's IAM grants and lifecycle rule all derive their keys from here.
 *
 *   _runs/<run id>/items/<format>/<sha1 of key>.json   a converter's record of one item
 *   _runs/<run id>/plan/{items.json,joins.json,passed.jsonl,plan.json}   the planner's lists
 *   _runs/<run id>/ranges/<format>/<sha1 of key>/…      parts of one key converted in byte ranges: on a
 *                                                        converter's threads (issue 12), or as the range
 *                                                        items of a split key with their records (issue 16)
 *   _runs/<run id>/{report.json,report.md,failed-items.json,retry-joins.json,metrics.json,reconverted.json}
 *   _runs/_map/…                                         the Distributed Maps' result files
 */
import { createHash } from 'node:crypto';

/** The prefix of everything a run writes about itself. */
export const RUNS_PREFIX = '_runs/';

/** Where the Distributed Maps write their result files (ResultWriter). */
export const MAP_RESULTS_PREFIX = `${RUNS_PREFIX}_map`;

/** The folder of one run's files: `_runs/<run id>/`. */
export function runFolder(runId: string): string {
  return `${RUNS_PREFIX}${runId}/`;
}

/** The folder of a run's per-item records: `_runs/<run id>/items/`. */
export function itemRecordsFolder(runId: string): string {
  return `${runFolder(runId)}items/`;
}

/** The record of one item and format: `_runs/<run id>/items/<format>/<sha1 of key>.json`. */
export function itemRecordKey(runId: string, format: string, key: string): string {
  return `${itemRecordsFolder(runId)}${format}/${createHash('sha1').update(key).digest('hex')}.json`;
}

/** The folder of the converters' range parts: `_runs/<run id>/ranges/`. */
export function rangePartsFolder(runId: string): string {
  return `${runFolder(runId)}ranges/`;
}

/**
 * Where one format's conversion of one key keeps the parts of its byte ranges until they are joined (and
 * deleted): `_runs/<run id>/ranges/<format>/<sha1 of key>/`. The same folder for a key on a converter's
 * threads and for a split key's range items (their parts, records `r<round>-<index>.json` and round 2's
 * `verdict.json`: lambdas/ranges/range-folder.ts; the key's join deletes it once its output is written, a
 * failed or handed-back join keeps it for the retry maps or the redrive), so that one grant per format (on
 * `_runs/<any run>/ranges/<format>/`) covers both.
 */
export function rangePartsPrefix(runId: string, format: string, key: string): string {
  return `${rangePartsFolder(runId)}${format}/${createHash('sha1').update(key).digest('hex')}/`;
}

/** A file of the run's own folder, e.g. `report.json`, `metrics.json`, `plan/items.json`. */
export function runFileKey(runId: string, name: string): string {
  return `${runFolder(runId)}${name}`;
}
