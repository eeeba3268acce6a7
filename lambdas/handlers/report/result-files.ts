/*
 * The Distributed Map result files: ResultWriter's manifest.json and the SUCCEEDED/FAILED/PENDING files it
 * names, read one entry at a time, and found under the ResultWriter's prefix when nobody says where they are
 * (the reducer the execution-status rule invokes).
 */
import type { ObjectInfo, ObjectStore } from '../../io/object-store';
import { readText } from '../../io/object-text';
import type { ConvertItem, MapResultLocation } from '../../shared/payloads';

/** One child execution in a Distributed Map result file (the fields the report reads). */
export interface MapResultEntry {
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
  Status?: string;
  StopDate?: string | number;
}

/** A ResultWriter manifest (the fields the report reads). */
export interface MapManifest {
  DestinationBucket?: string;
  MapRunArn?: string;
  ResultFiles?: Record<string, { Key: string }[]>;
}

/**
 * Cuts a JSON array of objects, given as text in pieces, into the text of each element, so that a result
 * file of any size is parsed one entry at a time (the service's files reach hundreds of MB).
 */
export class JsonArraySplitter {
  private started = false;
  private ended = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];

  /** The elements completed by this piece of text. */
  push(text: string): string[] {
    const out: string[] = [];
    let from = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (!this.started && c === 0x5b /* [ */) this.started = true;
        else if (this.started && !this.ended && c === 0x2c /* , */) continue;
        else if (this.started && !this.ended && c === 0x5d /* ] */) this.ended = true;
        else if (this.started && !this.ended && c === 0x7b /* { */) {
          this.depth = 1;
          from = i;
        } else throw new Error(`not a JSON array of objects: unexpected ${JSON.stringify(text[i])}`);
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if ((c === 0x7d || c === 0x5d) && --this.depth === 0) {
        this.parts.push(text.slice(from, i + 1));
        out.push(this.parts.join(''));
        this.parts = [];
        from = -1;
      }
    }
    if (this.depth > 0 && from >= 0) this.parts.push(text.slice(from));
    return out;
  }

  /** @throws Error when the array was not closed. */
  end(): void {
    if (!this.ended) throw new Error('not a JSON array of objects: it ends before its closing ]');
  }
}

/**
 * A result file's entries, one at a time as its body streams: a JSON array, or JSON Lines (ResultWriter
 * `OutputType: JSONL`). Memory is one entry and one chunk, whatever the file's size.
 */
export async function* resultEntries(body: AsyncIterable<Uint8Array>): AsyncGenerator<MapResultEntry> {
  const decoder = new TextDecoder();
  let mode: 'array' | 'lines' | undefined;
  const splitter = new JsonArraySplitter();
  let line = '';
  const feed = function* (text: string): Generator<MapResultEntry> {
    if (mode === undefined) {
      const first = /\S/.exec(text)?.[0];
      if (first === undefined) return;
      mode = first === '[' ? 'array' : 'lines';
    }
    if (mode === 'array') {
      for (const element of splitter.push(text)) yield JSON.parse(element) as MapResultEntry;
      return;
    }
    const lines = (line + text).split('\n');
    line = lines.pop()!;
    for (const l of lines) if (l.trim() !== '') yield JSON.parse(l) as MapResultEntry;
  };
  for await (const chunk of body) yield* feed(decoder.decode(chunk, { stream: true }));
  yield* feed(decoder.decode());
  if (mode === 'array') splitter.end();
  else if (line.trim() !== '') yield JSON.parse(line) as MapResultEntry;
}

/** A result file's entries from its whole text (see {@link resultEntries}). */
export function parseResultFile(text: string): MapResultEntry[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as MapResultEntry[];
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MapResultEntry);
}

/** An item of a child's input, as the ItemSelector (or the retry map's item list) built it. */
export type ChildItem = Partial<ConvertItem> & { run?: { runId?: string } };

/** The input items of one child: one item, or an ItemBatcher batch `{Items: [...], BatchInput: {run}}`. */
export function itemsOf(input: string | undefined): ChildItem[] {
  if (!input) return [];
  const parsed = JSON.parse(input) as ChildItem & { Items?: ChildItem[]; BatchInput?: { run?: object } };
  if (Array.isArray(parsed.Items)) return parsed.Items;
  return [parsed];
}

/** The run id a child's input belongs to (its item's run, or the batch's). */
function runIdOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  const parsed = JSON.parse(input) as ChildItem & {
    Items?: ChildItem[];
    BatchInput?: { run?: { runId?: string } };
  };
  return parsed.BatchInput?.run?.runId ?? parsed.Items?.[0]?.run?.runId ?? parsed.run?.runId;
}

/** A manifest and where its result files are. */
export interface ManifestAt {
  readonly bucket: string;
  readonly manifest: MapManifest;
}

/** Reads the manifest a Map state's output names. */
export async function readManifest(
  store: ObjectStore,
  location: MapResultLocation,
): Promise<ManifestAt | undefined> {
  const details = location.ResultWriterDetails;
  if (!details) return undefined;
  const manifest = JSON.parse(await readText(store, details.Bucket, details.Key)) as MapManifest;
  return { bucket: manifest.DestinationBucket ?? details.Bucket, manifest };
}

/** Every entry of a manifest's result files, with the kind of file (SUCCEEDED, FAILED, PENDING) it is in. */
export async function* manifestEntries(
  store: ObjectStore,
  at: ManifestAt,
): AsyncGenerator<{ kind: string; entry: MapResultEntry }> {
  for (const [kind, files] of Object.entries(at.manifest.ResultFiles ?? {}))
    for (const file of files)
      for await (const entry of resultEntries(await store.get(at.bucket, file.Key))) yield { kind, entry };
}

/**
 * The Map Runs of one run, found under the ResultWriter's prefix: for the reducer that the execution-status
 * rule invokes, which is given no Map output. On AWS the ResultWriter writes
 * `<Prefix>/<Map Run id>/manifest.json` (the id is the UUID that ends the Map Run ARN, which names neither
 * the execution nor the run), so a manifest is told to be the run's by its children's input, which carries
 * the run (`run.runId`, or the batch's `BatchInput.run`). A Map Run that was aborted, or whose state never
 * ended, may have written no manifest: its children are then known from their records and the earlier
 * report only.
 *
 * Ordered as the state machine ran them: the first map's before the retry map's (whose items ask for the
 * current version, `current: true`), then by when the manifest was written, so that later maps override
 * earlier ones as with the state machine's own `mapResults`.
 *
 * @param since manifests written before this time (the execution's start) are not looked into: they are
 *   earlier runs'.
 */
export async function findRunMapResults(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  runId: string,
  since?: Date,
): Promise<MapResultLocation[]> {
  const manifests: ObjectInfo[] = [];
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  let token: string | undefined;
  do {
    const page = await store.list(bucket, base, token ? { token } : {});
    for (const o of page.objects) {
      if (!o.key.endsWith('/manifest.json')) continue;
      // A minute of slack: the store's clock and the service's are not the same clock.
      if (since && o.lastModified && o.lastModified.getTime() < since.getTime() - 60_000) continue;
      manifests.push(o);
    }
    token = page.nextToken;
  } while (token);
  const found: { location: MapResultLocation; retry: boolean; at: number }[] = [];
  for (const o of manifests) {
    const location = { ResultWriterDetails: { Bucket: bucket, Key: o.key } };
    const at = await readManifest(store, location);
    if (!at) continue;
    // The first entry tells the run; a Map Run without any entry has nothing to account for.
    for await (const { entry } of manifestEntries(store, at)) {
      if (runIdOf(entry.Input) === runId)
        found.push({
          location: { ...(at.manifest.MapRunArn ? { MapRunArn: at.manifest.MapRunArn } : {}), ...location },
          retry: itemsOf(entry.Input).some((i) => i.current === true),
          at: o.lastModified?.getTime() ?? 0,
        });
      break;
    }
  }
  return found.sort((x, y) => Number(x.retry) - Number(y.retry) || x.at - y.at).map((f) => f.location);
}
