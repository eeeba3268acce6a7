import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalSettings, SynthesizedWorkflow } from '../../../lib/local/local-definition';
import { SynthCache } from '../../../lib/local/synth-cache';

const settings: LocalSettings = {
  inputBucket: 'in',
  outputBucket: 'out',
  inputPrefix: '',
  formats: ['parquet', 'avro'],
  maxConcurrency: 16,
};
const workflow: SynthesizedWorkflow = {
  definition: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
  functions: { f: { timeoutSeconds: 900, environment: { X: '1' } } },
};

function bundle(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'synth-cache-'));
  writeFileSync(join(dir, 'csv2lake.cjs'), code);
  return join(dir, 'csv2lake.cjs');
}

test('run from the sources, the runner has no cache', () => {
  expect(SynthCache.beside(join(__dirname, 'runner.ts'), settings)).toBeUndefined();
});

test('an entry is read back for the same bundle and settings only', () => {
  const runner = bundle('one build');
  expect(SynthCache.beside(runner, settings)!.read()).toBeUndefined();
  SynthCache.beside(runner, settings)!.write(workflow);
  expect(SynthCache.beside(runner, settings)!.read()).toEqual(workflow);
  expect(SynthCache.beside(runner, { ...settings, maxConcurrency: 8 })!.read()).toBeUndefined();
  expect(SynthCache.beside(runner, { ...settings, inputPrefix: 'landing/' })!.read()).toBeUndefined();
});

test("another build of the bundle misses, and its write removes the older build's entries", () => {
  const runner = bundle('one build');
  SynthCache.beside(runner, settings)!.write(workflow);
  SynthCache.beside(runner, { ...settings, maxConcurrency: 8 })!.write(workflow);
  const dir = join(runner, '..', '.synth-cache');
  expect(readdirSync(dir)).toHaveLength(2);
  writeFileSync(runner, 'another build');
  const rebuilt = SynthCache.beside(runner, settings)!;
  expect(rebuilt.read()).toBeUndefined();
  rebuilt.write(workflow);
  expect(readdirSync(dir)).toHaveLength(1);
  expect(rebuilt.read()).toEqual(workflow);
});

test('a torn entry is a miss, and is replaced by the next write', () => {
  const runner = bundle('one build');
  const cache = SynthCache.beside(runner, settings)!;
  cache.write(workflow);
  const [name] = readdirSync(join(runner, '..', '.synth-cache'));
  writeFileSync(join(runner, '..', '.synth-cache', name!), '{"definition":');
  expect(cache.read()).toBeUndefined();
  cache.write(workflow);
  expect(cache.read()).toEqual(workflow);
});
