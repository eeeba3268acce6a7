import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReplayableSource } from '../core/convert';
import { readFileChunks } from './file-read';
import { spoolFolderPrefix, sweepSpoolFolders } from './temp-files';

/** Spool folders whose leftovers this process has swept, once each. */
const swept = new Set<string>();

/**
 * Copies a stream (an S3 object body) to a temporary file once, so the conversion can read it twice
 * locally. `dispose` deletes the file. The folder's name carries this process's pid; the first spool of a
 * process into a folder removes the spool folders that dead processes left there (a killed run, a crashed
 * function: see {@link sweepSpoolFolders}), which nothing else would.
 */
export async function spoolToFile(
  name: string,
  body: AsyncIterable<Uint8Array>,
  dir: string,
): Promise<ReplayableSource & { dispose(): Promise<void>; bytes: number }> {
  if (!swept.has(dir)) {
    swept.add(dir);
    sweepSpoolFolders(dir);
  }
  const folder = await mkdtemp(join(dir, spoolFolderPrefix()));
  const path = join(folder, 'input');
  let bytes = 0;
  const counted = async function* () {
    for await (const chunk of body) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  try {
    await pipeline(Readable.from(counted()), createWriteStream(path, { highWaterMark: 1 << 20 }));
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    // A full spool disk said only `ENOSPC: no space left on device, write`; a read error passes as it is.
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw Object.assign(
        new Error(
          `cannot spool ${name} to ${path}: ${code}: the disk is full after ${bytes} bytes of it; free space ` +
            'there or set CSV2LAKE_SPOOL_DIR to a larger folder, then redrive the run',
          { cause: error },
        ),
        { code },
      );
    throw error;
  }
  return {
    name,
    bytes,
    open: () => readFileChunks(path),
    dispose: () => rm(folder, { recursive: true, force: true }),
  };
}
