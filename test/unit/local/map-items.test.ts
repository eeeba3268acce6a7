import { evaluateTemplate, queryPath } from '../../../lib/local/json-path';
import { childInputs, toleratedFailures } from '../../../lib/local/map-items';

const listing = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ Key: `k${i}.csv`, Etag: `"e${i}"`, Size: i }));
const context = { Execution: { Name: 'run-1' } };
const selector = {
  'key.$': '$$.Map.Item.Value.Key',
  'index.$': '$$.Map.Item.Index',
  'run.$': '$.run',
  'execution.$': '$$.Execution.Name',
  fixed: { nested: 1 },
};

describe('JSONPath subset', () => {
  test('reads $ and $$ paths, and refuses what it does not evaluate', () => {
    expect(queryPath('$', { a: 1 }, {})).toEqual({ a: 1 });
    expect(queryPath('$.a.b', { a: { b: [1] } }, {})).toEqual([1]);
    expect(queryPath('$$.Execution.Name', {}, context)).toBe('run-1');
    expect(() => queryPath('$.a[0]', { a: [1] }, {})).toThrow(/unsupported JSONPath/);
    expect(() => queryPath('$.missing', {}, {})).toThrow(expect.objectContaining({ name: 'States.Runtime' }));
    expect(() => evaluateTemplate({ 'x.$': 'States.Format($.a)' }, {}, {})).toThrow(/intrinsic/);
  });
});

describe('child inputs of a Distributed Map', () => {
  test('ItemSelector sees each item, its index, the state input and the execution context', () => {
    const children = childInputs({ ItemSelector: selector }, listing(3), { run: { id: 7 } }, context);
    expect(children).toEqual(
      [0, 1, 2].map((i) => ({
        input: { key: `k${i}.csv`, index: i, run: { id: 7 }, execution: 'run-1', fixed: { nested: 1 } },
        items: 1,
        files: 1,
      })),
    );
  });

  test('a range item is a share of its file for progress (1/count), in a batch too', () => {
    const ranges = Array.from({ length: 4 }, (_, index) => ({
      key: 'big.csv',
      range: { index, count: 4, start: index * 10, end: index * 10 + 10 },
    }));
    const items = [{ key: 'small.csv', range: null }, ...ranges];
    expect(childInputs({}, items, {}, context).map((c) => [c.items, c.files])).toEqual([
      [1, 1],
      ...ranges.map(() => [1, 0.25]),
    ]);
    const batched = childInputs({ ItemBatcher: { MaxItemsPerBatch: 2 } }, items, {}, context);
    expect(batched.map((c) => [c.items, c.files])).toEqual([
      [2, 1.25],
      [2, 0.5],
      [1, 0.25],
    ]);
  });

  test('without ItemSelector, each child gets its item', () => {
    expect(childInputs({}, listing(2), {}, context).map((c) => c.input)).toEqual(listing(2));
  });

  test('ItemBatcher groups the selected items by MaxItemsPerBatch, with BatchInput evaluated against the input', () => {
    const children = childInputs(
      {
        ItemSelector: { 'key.$': '$$.Map.Item.Value.Key' },
        ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run.$': '$.run' } },
      },
      listing(5),
      { run: 'r' },
      context,
    );
    expect(children.map((c) => c.items)).toEqual([2, 2, 1]);
    expect(children[0]!.input).toEqual({
      BatchInput: { run: 'r' },
      Items: [{ key: 'k0.csv' }, { key: 'k1.csv' }],
    });
    expect(children[2]!.input).toEqual({ BatchInput: { run: 'r' }, Items: [{ key: 'k4.csv' }] });
  });

  test('MaxInputBytesPerBatch bounds the JSON size of each batch, and every item is in exactly one batch', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ key: `file-${i}-${'x'.repeat(i % 7)}.csv` }));
    const max = 200;
    const children = childInputs({ ItemBatcher: { MaxInputBytesPerBatch: max } }, items, {}, context);
    for (const c of children) expect(Buffer.byteLength(JSON.stringify(c.input))).toBeLessThanOrEqual(max);
    // Greedy: adding the next batch's first item would have exceeded the bound.
    for (let i = 0; i + 1 < children.length; i++) {
      const a = children[i]!.input as { Items: unknown[] };
      const b = children[i + 1]!.input as { Items: unknown[] };
      expect(Buffer.byteLength(JSON.stringify({ Items: [...a.Items, b.Items[0]] }))).toBeGreaterThan(max);
    }
    expect(children.flatMap((c) => (c.input as { Items: unknown[] }).Items)).toEqual(items);
    expect(children.reduce((n, c) => n + c.items, 0)).toBe(40);
  });

  test('an item too large for any batch, batcher settings given as paths, and an empty batcher are refused', () => {
    expect(() =>
      childInputs({ ItemBatcher: { MaxInputBytesPerBatch: 20 } }, [{ key: 'x'.repeat(30) }], {}, context),
    ).toThrow(expect.objectContaining({ name: 'States.ItemReaderFailed' }));
    expect(() =>
      childInputs({ ItemBatcher: { MaxItemsPerBatchPath: '$.n' } }, listing(1), { n: 1 }, context),
    ).toThrow(/MaxItemsPerBatchPath/);
    expect(() => childInputs({ ItemBatcher: {} }, listing(1), {}, context)).toThrow(/needs MaxItemsPerBatch/);
  });
});

test('tolerated failures: the count wins, else the percentage of all items rounded down, else none', () => {
  expect(toleratedFailures({ ToleratedFailureCount: 3, ToleratedFailurePercentage: 100 }, 10)).toBe(3);
  expect(toleratedFailures({ ToleratedFailurePercentage: 25 }, 10)).toBe(2);
  expect(toleratedFailures({ ToleratedFailurePercentage: 100 }, 10)).toBe(10);
  expect(toleratedFailures({}, 10)).toBe(0);
});
