import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTempName, sweepSpoolFolders, sweepTempFiles, tempPath } from '../../../lambdas/io/temp-files';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('a temporary name is hidden, short and recognised, whatever the target name', () => {
  for (const target of ['/x/a.parquet', `/x/${'ü'.repeat(127)}`, '/x/.hidden']) {
    const name = tempPath(target).slice('/x/'.length);
    expect(name.startsWith('.')).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(80);
    expect(isTempName(name)).toBe(true);
  }
  expect(isTempName('orders.csv')).toBe(false);
  expect(isTempName('a.csv2lake-tmp-notes.csv')).toBe(false);
});

test('a sweep removes the leftovers of dead writers, at any depth, and keeps those of live ones', () => {
  const root = mkdtempSync(join(tmpdir(), 'sweep-'));
  made.push(root);
  const dead = spawnSync('true').pid!;
  const live = process.ppid;
  mkdirSync(join(root, 'parquet', 'deep'), { recursive: true });
  const files = {
    dead: join(root, 'parquet', 'deep', `.a.parquet.csv2lake-tmp-${dead}-k3j2h1`),
    // what versions before 10 left: not hidden
    legacy: join(root, 'parquet', `b.parquet.csv2lake-tmp-${dead}-x1y2z3`),
    live: join(root, 'parquet', `.c.parquet.csv2lake-tmp-${live}-abcdef`),
    stale: join(root, 'parquet', `.d.parquet.csv2lake-tmp-${live}-fedcba`),
    own: join(root, `.e.avro.csv2lake-tmp-${process.pid}-aaaaaa`),
    output: join(root, 'parquet', 'a.parquet'),
  };
  for (const path of Object.values(files)) writeFileSync(path, 'xxxx');
  // Not written to for two hours: a live writer writes all the time, so its pid was reused.
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(files.stale, old, old);
  expect(sweepTempFiles(root)).toEqual({ removed: 3, bytes: 12 });
  const left = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();
  expect(left(root)).toEqual(
    [
      '.e.avro.csv2lake-tmp-' + process.pid + '-aaaaaa',
      'parquet',
      'parquet/.c.parquet.csv2lake-tmp-' + live + '-abcdef',
      'parquet/a.parquet',
      'parquet/deep',
    ].sort(),
  );
  // Its own only once this process's writers have stopped.
  expect(sweepTempFiles(root, { ownPid: true })).toEqual({ removed: 1, bytes: 4 });
});

test('the spool folders earlier versions left are swept: those of dead processes, not those of live ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-sweep-'));
  made.push(dir);
  // A pid that was alive and is no longer: a process that ran and exited.
  const dead = spawnSync('true').pid!;
  const live = process.ppid;
  for (const name of [`csv2lake-spool-${dead}-AbC123`, `csv2lake-spool-${live}-XyZ789`, 'other-folder']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'input'), 'a,b\n');
  }
  expect(sweepSpoolFolders(dir)).toEqual({ removed: 1, bytes: 4 });
  expect(readdirSync(dir).sort()).toEqual([`csv2lake-spool-${live}-XyZ789`, 'other-folder']);
});
