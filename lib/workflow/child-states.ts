/*
 * The child workflow each Distributed Map runs per item (or per batch): the suffix filter, both converters
 * in a Parallel, and the check that they read one version of the file.
 */
import { CSV_SUFFIXES } from '../../lambdas/io/object-key';
import { RANGES_TO_CONVERT_ERROR } from '../../lambdas/ranges/reconcile';
import { csvKeyPatterns } from './csv-key-patterns';
import { STATES } from './names';
import type { WorkflowSettings } from './settings';
import { converterTask } from './tasks';

/**
 * The child workflow of each Distributed Map: skip non-CSV keys, then both converters in parallel. With
 * item batching the child receives `{BatchInput, Items}` and goes straight to the converters, which then
 * skip non-CSV keys themselves. A join map's child (`joins`, never batched) catches, in each branch, the
 * join that hands ranges back (see {@link handedBackState}).
 */
export function itemProcessor(
  settings: WorkflowSettings,
  prefix = '',
  joins = false,
): Record<string, unknown> {
  // State names must be unique in the whole machine: the other maps' child states carry a prefix.
  const name = (state: string) => prefix + state;
  const patterns = csvKeyPatterns(settings.suffixes ?? CSV_SUFFIXES);
  const batched = settings.itemBatching !== undefined;
  const checkVersions = !batched && settings.formats.length > 1;
  return {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: name(batched ? STATES.convertFormats : STATES.isCsv),
    States: {
      ...(batched ? {} : filterStates(name, patterns)),
      [name(STATES.convertFormats)]: {
        Type: 'Parallel',
        Branches: settings.formats.map((format) => {
          const task = name(format === 'parquet' ? STATES.convertParquet : STATES.convertAvro);
          const converter = converterTask(format, settings.taskTimeoutSeconds);
          if (!joins) return { StartAt: task, States: { [task]: converter } };
          const back = name(
            format === 'parquet' ? STATES.parquetRangesToConvert : STATES.avroRangesToConvert,
          );
          return {
            StartAt: task,
            States: {
              [task]: {
                ...converter,
                Catch: [{ ErrorEquals: [RANGES_TO_CONVERT_ERROR], ResultPath: '$.handedBack', Next: back }],
              },
              [back]: handedBackState(format),
            },
          };
        }),
        ...(checkVersions ? { Next: name(STATES.sameVersion) } : { End: true }),
      },
      ...(checkVersions ? versionCheckStates(name) : {}),
    },
  };
}

/**
 * A join that handed ranges back to the state machine (`RangesToConvertError`: round 2 after a widened
 * column, a range without a part, more than its time allows; its record lists them): caught in its branch,
 * so that the other format's join is never cut short, and the child succeeds. The reducer sends those
 * ranges round `RetryFailed` and the key round `RetryJoin`; a join that fails otherwise fails the child.
 * Its output names the version the parts hold, for `SameVersion`.
 */
function handedBackState(format: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Comment:
      'The join handed ranges back (its record lists them): the reducer sends them round RetryFailed, then the key round RetryJoin.',
    Parameters: {
      'key.$': '$.key',
      format,
      status: 'rangesToConvert',
      'sourceEtag.$': '$.etag',
      'error.$': '$.handedBack.Error',
      'cause.$': '$.handedBack.Cause',
    },
    End: true,
  };
}

/**
 * After both converters: their outputs must hold one version of the file. Each reads the listed version
 * (or, when the file was replaced since, the current one), so they differ only when the file changed
 * between their reads; the child then fails with the converters' `InputChangedError`, and the retry map,
 * whose items ask for the current version, converts again the format that holds the older one.
 */
function versionCheckStates(name: (state: string) => string): Record<string, unknown> {
  return {
    [name(STATES.sameVersion)]: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$[0].sourceEtag', IsPresent: true },
            { Variable: '$[1].sourceEtag', IsPresent: true },
            { Variable: '$[0].sourceEtag', StringEqualsPath: '$[1].sourceEtag' },
          ],
          Next: name(STATES.converted),
        },
      ],
      Default: name(STATES.versionsDiffer),
    },
    [name(STATES.converted)]: { Type: 'Succeed' },
    [name(STATES.versionsDiffer)]: {
      Type: 'Fail',
      Error: 'InputChangedError',
      Cause:
        'The file changed while it was converted: its Parquet and Avro outputs hold different versions of it. ' +
        'The retry map (or a redrive) converts the current version again.',
    },
  };
}

/** The suffix filter of an unbatched child: a Choice, and a Pass that marks the key ignored. */
function filterStates(name: (state: string) => string, patterns: string[]): Record<string, unknown> {
  return {
    [name(STATES.isCsv)]: {
      Type: 'Choice',
      Choices: [
        {
          Or: patterns.map((p) => ({ Variable: '$.key', StringMatches: p })),
          Next: name(STATES.convertFormats),
        },
      ],
      Default: name(STATES.ignore),
    },
    [name(STATES.ignore)]: {
      Type: 'Pass',
      Comment: 'Folder markers and keys without a CSV suffix: accounted for in the report as ignored.',
      Parameters: { ignored: true, 'key.$': '$.key' },
      End: true,
    },
  };
}
