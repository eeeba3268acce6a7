import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFileSink } from '../../../lambdas/io/file-sink';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'file-sink-'));
  made.push(dir);
  return dir;
}

/** This process's open descriptors (Linux). */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits until this process holds `count` descriptors again, or 2 s have passed; returns what it holds. */
async function settle(count: number): Promise<number> {
  for (let waited = 0; openDescriptors() !== count && waited < 2000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return openDescriptors();
}

test('a commit replaces an existing file whole, and lets go of the replaced one', async () => {
  const dir = folder();
  const target = join(dir, 'orders.parquet');
  writeFileSync(target, 'the previous night, longer than the new content');
  const before = openDescriptors();
  const sink = new AtomicFileSink(target);
  sink.write(Buffer.from('new '));
  sink.write(Buffer.from('content'));
  // Nothing published before the commit.
  expect(readFileSync(target, 'utf8')).toBe('the previous night, longer than the new content');
  sink.commit();
  expect(readFileSync(target, 'utf8')).toBe('new content');
  expect(readdirSync(dir)).toEqual(['orders.parquet']);
  // The descriptor held on the replaced file is closed once its pool thread is done.
  expect(await settle(before)).toBe(before);
});

test('a commit to a new name and a discard hold no descriptor, and a discard leaves the target as it was', async () => {
  const dir = folder();
  const before = openDescriptors();
  const fresh = new AtomicFileSink(join(dir, 'new.avro'));
  fresh.write(Buffer.from('avro bytes'));
  fresh.commit();
  expect(readFileSync(join(dir, 'new.avro'), 'utf8')).toBe('avro bytes');

  writeFileSync(join(dir, 'kept.csv'), 'kept');
  const dropped = new AtomicFileSink(join(dir, 'kept.csv'));
  dropped.write(Buffer.from('never published'));
  dropped.discard();
  expect(readFileSync(join(dir, 'kept.csv'), 'utf8')).toBe('kept');
  expect(readdirSync(dir).sort()).toEqual(['kept.csv', 'new.avro']);
  expect(await settle(before)).toBe(before);
});

test('a commit that cannot rename (the target is a folder) throws and leaks no descriptor', async () => {
  const dir = folder();
  const before = openDescriptors();
  const sink = new AtomicFileSink(dir);
  sink.write(Buffer.from('x'));
  expect(() => sink.commit()).toThrow();
  sink.discard();
  expect(await settle(before)).toBe(before);
});
