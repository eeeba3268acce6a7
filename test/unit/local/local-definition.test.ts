import {
  lambdaStates,
  localize,
  processorFor,
  refuseUnsupported,
  stringMatches,
} from '../../../lib/local/local-definition';
import { StateMachine } from 'aws-local-stepfunctions';

const lambda = (fn: string, next?: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: fn, 'Payload.$': '$' },
  ...(next ? { Next: next } : { End: true }),
});

function definition(mapExtra: Record<string, unknown> = {}) {
  return {
    StartAt: 'Files',
    States: {
      Files: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Parameters: { Bucket: 'b', Prefix: '' },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Both',
          States: {
            Both: {
              Type: 'Parallel',
              Branches: [
                { StartAt: 'A', States: { A: lambda('fn-a') } },
                { StartAt: 'B', States: { B: lambda('fn-b') } },
              ],
              End: true,
            },
          },
        },
        MaxConcurrency: 4,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'o', Prefix: 'r' } },
        ResultPath: '$.map',
        Next: 'Reduce',
        ...mapExtra,
      },
      Reduce: lambda('fn-r'),
    },
  };
}

test('each Distributed Map becomes a Task of the same name and place; everything else is unchanged', () => {
  const source = definition();
  const { machine, maps } = localize(source);
  expect(maps.Files).toEqual(source.States.Files);
  expect(machine.States.Files).toMatchObject({ Type: 'Task', ResultPath: '$.map', Next: 'Reduce' });
  expect(machine.States.Reduce).toEqual(source.States.Reduce);
  expect(lambdaStates(source)).toEqual({ A: 'fn-a', B: 'fn-b', Reduce: 'fn-r' });
  // The source is not modified.
  expect(source.States.Files.Type).toBe('Map');
});

test.each([
  ['JSONata at the top', { ...definition(), QueryLanguage: 'JSONata' }, /JSONata/],
  [
    'JSONata in a state',
    {
      ...definition(),
      States: { ...definition().States, Reduce: { ...lambda('r'), QueryLanguage: 'JSONata' } },
    },
    /Reduce uses JSONata/,
  ],
  [
    'a task that is not lambda:invoke',
    {
      ...definition(),
      States: {
        ...definition().States,
        Reduce: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true },
      },
    },
    /sqs:sendMessage/,
  ],
  ['Catch on the Distributed Map', definition({ Catch: [] }), /uses Catch/],
  [
    'ToleratedFailureCountPath',
    definition({ ToleratedFailureCountPath: '$.n' }),
    /ToleratedFailureCountPath/,
  ],
  [
    'ItemReader.ReaderConfig.MaxItems',
    definition({
      ItemReader: {
        Resource: 'arn:aws:states:::s3:listObjectsV2',
        ReaderConfig: { MaxItems: 5 },
        Parameters: { Bucket: 'b' },
      },
    }),
    /ReaderConfig.MaxItems/,
  ],
  [
    'a ResultWriter with WriterConfig',
    definition({
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        WriterConfig: { OutputType: 'JSONL' },
        Parameters: { Bucket: 'o', Prefix: 'r' },
      },
    }),
    /WriterConfig/,
  ],
])('refuses %s, which the interpreter would ignore or the emulation not do', (_what, asl, message) => {
  expect(() => refuseUnsupported(asl as never)).toThrow(message);
  expect(() => localize(asl as never)).toThrow(message);
});

test('an ItemBatcher on a Distributed Map is accepted (the emulation batches)', () => {
  expect(() => localize(definition({ ItemBatcher: { MaxItemsPerBatch: 10 } }))).not.toThrow();
});

describe('StringMatches as Step Functions matches it', () => {
  test('* matches any run of characters, line breaks included; \\* and \\\\ are literal', () => {
    expect(stringMatches('*.csv', 'a\nb.csv')).toBe(true);
    expect(stringMatches('*.csv', 'a\r\nb.csv')).toBe(true);
    expect(stringMatches('*.csv', 'a.csv\n')).toBe(false);
    expect(stringMatches('*.csv', 'a.csvx')).toBe(false);
    expect(stringMatches('a\\*b', 'a*b')).toBe(true);
    expect(stringMatches('a\\*b', 'axb')).toBe(false);
    expect(stringMatches('a\\\\*', 'a\\zz')).toBe(true);
    expect(stringMatches('(x).[y]+', '(x).[y]+')).toBe(true);
  });

  const processor = {
    StartAt: 'IsCsv',
    States: {
      IsCsv: {
        Type: 'Choice',
        Choices: [
          {
            Or: [
              { Variable: '$.key', StringMatches: '*.csv' },
              { Variable: '$.key', StringMatches: '*.tsv' },
            ],
            Next: 'Yes',
          },
        ],
        Default: 'No',
      },
      Yes: { Type: 'Pass', Result: 'csv', End: true },
      No: { Type: 'Pass', Result: 'ignored', End: true },
    },
  };

  test('a key with a line break takes the branch Step Functions takes, where the interpreter alone does not', async () => {
    const input = { key: 'two\nlines.csv' };
    const run = (definition: unknown) =>
      new StateMachine(definition as never, { validationOptions: { noValidate: true } }).run(input as never)
        .result;
    // Why processorFor exists: the interpreter's own matcher stops * at the line break.
    expect(await run(processor)).toBe('ignored');
    expect(await run(processorFor(processor, input))).toBe('csv');
    expect(await run(processorFor(processor, { key: 'two\nlines.md' }))).toBe('ignored');
    // Other inputs run the processor as it is.
    expect(processorFor(processor, { key: 'one.csv' })).toBe(processor);
  });
});
