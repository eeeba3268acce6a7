/*
 * The retry policy of the state machine's Lambda tasks, on the definition itself (unbatched and batched):
 * which retrier Step Functions picks for each error name (the first whose ErrorEquals names it), and, on the
 * same interpreter the local runner uses, how many times a task that keeps failing is attempted.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import {
  buildDefinition,
  JOIN_PREFIX,
  RETRY_JOIN_PREFIX,
  RETRY_PREFIX,
  STATES,
  type WorkflowSettings,
} from '../../lib/workflow/definition';
import { DATA_ERRORS } from '../../lambdas/shared/errors';

const SETTINGS: WorkflowSettings = {
  formats: ['parquet', 'avro'],
  inputPrefix: 'in/',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  maxConcurrency: 4,
  taskTimeoutSeconds: 930,
};

type State = Record<string, any>;

/** Every Task state of a definition with its name, at any depth (map item processors, parallel branches). */
function tasks(definition: State, out: Record<string, State> = {}): Record<string, State> {
  for (const [name, state] of Object.entries<State>(definition.States ?? {})) {
    if (state.Type === 'Task') out[name] = state;
    if (state.ItemProcessor) tasks(state.ItemProcessor, out);
    for (const branch of state.Branches ?? []) tasks(branch, out);
  }
  return out;
}

/** The retrier Step Functions applies to an error: the first that names it (or a wildcard that matches it). */
function retrierFor(retry: State[] | undefined, error: string): State | undefined {
  return (retry ?? []).find((r) =>
    (r.ErrorEquals as string[]).some(
      (e) => e === error || e === 'States.ALL' || (e === 'States.TaskFailed' && error !== 'States.Timeout'),
    ),
  );
}

/** How many retries an error gets: its retrier's MaxAttempts (3 when unset), 0 without a retrier. */
function retriesOf(retry: State[] | undefined, error: string): number {
  const retrier = retrierFor(retry, error);
  return retrier ? (retrier.MaxAttempts ?? 3) : 0;
}

const CONVERTERS = [
  STATES.convertParquet,
  STATES.convertAvro,
  RETRY_PREFIX + STATES.convertParquet,
  RETRY_PREFIX + STATES.convertAvro,
  // The join map's converters (issue 16): the same tasks under the join map's prefix.
  JOIN_PREFIX + STATES.convertParquet,
  JOIN_PREFIX + STATES.convertAvro,
  // The retry join map's (the reconcile loop): the same tasks again.
  RETRY_JOIN_PREFIX + STATES.convertParquet,
  RETRY_JOIN_PREFIX + STATES.convertAvro,
];
/** The join maps' converters, which catch a join that hands ranges back, and only that. */
const JOINS = CONVERTERS.filter((name) => name.startsWith(JOIN_PREFIX) || name.startsWith(RETRY_JOIN_PREFIX));
/** The reducer states, and the planner's, which has the same Retry (a transient S3 error lists again). */
const REDUCERS = [STATES.plan, STATES.reduce, STATES.reduceAfterRetry];
const TRANSIENT = [
  'S3TransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
const KILLED = ['Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.OutOfMemory'];

describe.each([
  ['one file per child', SETTINGS],
  ['batched', { ...SETTINGS, itemBatching: { maxItemsPerBatch: 10 } }],
])('the Lambda tasks’ retry policy (%s)', (_label, settings) => {
  const all = tasks(buildDefinition(settings));

  test('the walk finds exactly the converters of the four maps, both reducer states and the planner', () => {
    expect(Object.keys(all).sort()).toEqual([...CONVERTERS, ...REDUCERS].sort());
  });

  test.each([...CONVERTERS, ...REDUCERS])(
    '%s: transient errors get 5 retries with backoff and full jitter',
    (name) => {
      const retry = all[name]!.Retry;
      for (const error of TRANSIENT) {
        expect([error, retrierFor(retry, error)]).toEqual([
          error,
          {
            ErrorEquals: expect.arrayContaining([error]),
            IntervalSeconds: 2,
            MaxAttempts: 5,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ]);
      }
    },
  );

  test.each([...CONVERTERS, ...REDUCERS])(
    '%s: States.Timeout is retried once, by a retrier of its own',
    (name) => {
      const retrier = retrierFor(all[name]!.Retry, 'States.Timeout');
      expect(retrier).toEqual({ ErrorEquals: ['States.Timeout'], IntervalSeconds: 2, MaxAttempts: 1 });
    },
  );

  test.each([...CONVERTERS, ...REDUCERS])(
    '%s: a function killed for memory or time, and data errors, are never retried',
    (name) => {
      const retry = all[name]!.Retry;
      for (const error of [...KILLED, ...DATA_ERRORS, 'InvalidExecutionInput', 'Error', 'States.Permissions'])
        expect([error, retriesOf(retry, error)]).toEqual([error, 0]);
      expect(retrierFor(retry, 'Lambda.Unknown')).toEqual({ ErrorEquals: KILLED, MaxAttempts: 0 });
    },
  );

  test.each([...CONVERTERS, ...REDUCERS])('%s: no wildcard, and no error name in two retriers', (name) => {
    const names = (all[name]!.Retry as State[]).flatMap((r) => r.ErrorEquals as string[]);
    expect(names).not.toContain('States.ALL');
    expect(names).not.toContain('States.TaskFailed');
    expect(new Set(names).size).toBe(names.length);
    if (JOINS.includes(name))
      expect(all[name]!.Catch).toEqual([
        {
          ErrorEquals: ['RangesToConvertError'],
          ResultPath: '$.handedBack',
          Next: expect.stringMatching(/RangesToConvert$/),
        },
      ]);
    else expect(all[name]!.Catch).toBeUndefined();
  });
});

describe('on the interpreter the local runner uses, a task failing every time is attempted', () => {
  const definition = buildDefinition(SETTINGS);
  const all = tasks(definition);

  /** Runs one real task state of the definition alone, its handler always failing with `error`. */
  async function attempts(state: string, error: string): Promise<{ attempts: number; failedWith?: string }> {
    const { Retry, TimeoutSeconds } = all[state]!;
    const machine = new StateMachine(
      {
        StartAt: state,
        States: {
          [state]: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            TimeoutSeconds,
            Retry,
            End: true,
          },
        },
      } as never,
      { validationOptions: { checkArn: false, checkPaths: false } },
    );
    let calls = 0;
    const fail = async () => {
      calls++;
      throw Object.assign(new Error(`${error} on attempt ${calls}`), { name: error });
    };
    try {
      await machine.run({} as never, {
        overrides: {
          taskResourceLocalHandlers: { [state]: fail } as never,
          retryIntervalOverrides: { [state]: 0 },
        },
      }).result;
      return { attempts: calls };
    } catch (e) {
      const err = e as Error & { cause?: Error };
      return { attempts: calls, failedWith: err.cause?.name ?? err.name };
    }
  }

  test.each([
    [STATES.convertParquet, 'S3TransientError', 6],
    [RETRY_PREFIX + STATES.convertAvro, 'Lambda.TooManyRequestsException', 6],
    [STATES.convertAvro, 'States.Timeout', 2],
    [STATES.convertParquet, 'Lambda.Unknown', 1],
    [STATES.convertParquet, 'Runtime.OutOfMemory', 1],
    [STATES.convertAvro, 'Sandbox.Timedout', 1],
    [STATES.convertParquet, 'MalformedCsvError', 1],
    [STATES.reduce, 'S3TransientError', 6],
    [STATES.reduceAfterRetry, 'S3TransientError', 6],
    [STATES.reduce, 'States.Timeout', 2],
    [STATES.reduce, 'Lambda.Unknown', 1],
    [STATES.reduceAfterRetry, 'Error', 1],
    [STATES.plan, 'S3TransientError', 6],
    [STATES.plan, 'Lambda.Unknown', 1],
  ])('%s failing with %s: %i attempts', async (state, error, expected) => {
    expect(await attempts(state, error)).toEqual({ attempts: expected, failedWith: error });
  });
});
