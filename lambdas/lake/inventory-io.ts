/*
 * Streamed text for the plan and the inventory: JSON Lines read one line at a time as a body streams, and
 * text written through a streaming upload from pieces that may come asynchronously (a listing, a merge of
 * two streams), so that neither side ever holds a document of one line per key.
 */
import type { ObjectInfo, ObjectStore } from '../io/object-store';
import { InputMissingError } from '../shared/errors';

/**
 * S3's order of keys: by their UTF-8 bytes, which is code point order, not UTF-16 code unit order (`<`),
 * which differs for characters above U+FFFF. A string with a lone surrogate is compared as Node encodes it
 * (U+FFFD), then by code units, as the folder store orders its listing (lambdas/io/fs-object-store.ts), so
 * that two different keys never tie. Plan, inventory and report lists are all in this order, which is the
 * order the stores list in: that is what lets them be merged as streams.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const before = i > 0 ? a.charCodeAt(i - 1) : 0;
  // The common prefix ends in a high surrogate: what follows decides how it encodes.
  const split = before >= 0xd800 && before <= 0xdbff;
  if (i === n) {
    if (!split) return a.length - b.length;
  } else {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    // Below the surrogates, UTF-16 and UTF-8 order agree.
    if (x < 0xd800 && y < 0xd800 && !split) return x - y;
  }
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Whether a store's error says the object is not there. */
export function isMissing(error: unknown): boolean {
  return error instanceof InputMissingError || (error as Error | undefined)?.name === 'NoSuchKey';
}

/**
 * The lines of an object, one at a time as its body streams (memory: a line and a chunk), or nothing when
 * the object does not exist. Empty lines are left out.
 */
export async function* objectLines(store: ObjectStore, bucket: string, key: string): AsyncGenerator<string> {
  let body: AsyncIterable<Uint8Array>;
  try {
    body = await store.get(bucket, key);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of body) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', from)) {
      if (at > from) yield text.slice(from, at);
      from = at + 1;
    }
    rest = text.slice(from);
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/** Bytes gathered before each write of {@link writeText}. */
const WRITE_BYTES = 1 << 20;

/**
 * Writes text given piece by piece, synchronously or not, through a streaming upload (in ~1 MiB writes):
 * the object appears only when complete; on any failure the upload is aborted.
 */
export async function writeText(
  store: ObjectStore,
  bucket: string,
  key: string,
  pieces: AsyncIterable<string> | Iterable<string>,
  contentType = 'application/json',
): Promise<ObjectInfo> {
  const writer = store.createWriter(bucket, key, { contentType });
  try {
    let buffer: string[] = [];
    let length = 0;
    for await (const piece of pieces) {
      buffer.push(piece);
      length += piece.length;
      if (length >= WRITE_BYTES) {
        await writer.write(Buffer.from(buffer.join('')));
        buffer = [];
        length = 0;
      }
    }
    if (length > 0) await writer.write(Buffer.from(buffer.join('')));
    return await writer.complete();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * A cursor over a stream of items in {@link compareKeys} order, asked for keys in that order: {@link seek}
 * reads past the smaller keys and says whether the key is there. Asked for a key smaller than the one before
 * (a caller whose own order is not the stream's), it opens the stream again, so it is never wrong, only
 * slower.
 */
export class KeyCursor<T extends { readonly k: string }> {
  private iterator: AsyncIterator<T> | undefined;
  private current: T | undefined;
  private done = false;
  private last: string | undefined;
  /** Times the stream was opened. */
  opened = 0;

  constructor(private readonly open: () => AsyncIterable<T>) {}

  /** The item of `key`, or undefined when the stream has none. */
  async seek(key: string): Promise<T | undefined> {
    if (this.iterator === undefined || (this.last !== undefined && compareKeys(key, this.last) < 0)) {
      await this.iterator?.return?.();
      this.iterator = this.open()[Symbol.asyncIterator]();
      this.opened++;
      this.current = undefined;
      this.done = false;
    }
    this.last = key;
    while (!this.done && (this.current === undefined || compareKeys(this.current.k, key) < 0)) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.current = undefined;
      } else this.current = next.value;
    }
    return this.current !== undefined && this.current.k === key ? this.current : undefined;
  }

  /** Stops reading (closes the stream). */
  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = undefined;
  }
}

/**
 * The items of streams, each ascending in {@link compareKeys} order of `keyOf`, merged in that order; of
 * items with one key, the one of the earliest stream is kept, the others dropped.
 */
export async function* mergeByKey<T>(
  keyOf: (item: T) => string,
  ...streams: (AsyncIterable<T> | Iterable<T>)[]
): AsyncGenerator<T> {
  const iterators = streams.map((s) =>
    Symbol.asyncIterator in s
      ? (s as AsyncIterable<T>)[Symbol.asyncIterator]()
      : toAsync((s as Iterable<T>)[Symbol.iterator]()),
  );
  const next = async (i: number) => {
    const r = await iterators[i]!.next();
    return r.done ? undefined : { item: r.value, key: keyOf(r.value) };
  };
  const heads = await Promise.all(iterators.map((_, i) => next(i)));
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head !== undefined && (min < 0 || compareKeys(head.key, heads[min]!.key) < 0)) min = i;
    }
    if (min < 0) return;
    const { item, key } = heads[min]!;
    yield item;
    // The same key in a later stream (or again in this one) is dropped.
    for (let i = 0; i < heads.length; i++)
      while (heads[i] !== undefined && heads[i]!.key === key) heads[i] = await next(i);
  }
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: async () => iterator.next() };
}

/**
 * Text written piece by piece to a streaming upload, in ~1 MiB writes, for a producer that feeds several
 * objects at once (the plan's two lists): {@link complete} makes the object appear, {@link abort} drops it.
 */
export class TextSink {
  private readonly writer;
  private buffer: string[] = [];
  private length = 0;

  constructor(store: ObjectStore, bucket: string, key: string, contentType = 'application/json') {
    this.writer = store.createWriter(bucket, key, { contentType });
  }

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.length += text.length;
    if (this.length >= WRITE_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.length === 0) return;
    const bytes = Buffer.from(this.buffer.join(''));
    this.buffer = [];
    this.length = 0;
    await this.writer.write(bytes);
  }

  async complete(): Promise<ObjectInfo> {
    await this.flush();
    return this.writer.complete();
  }

  async abort(): Promise<void> {
    await this.writer.abort();
  }
}
