/*
 * An HTTP proxy on loopback between a function and fauxqs that records each request's method, key and
 * `If-Match` header and the status answered, and can run an async step before a request is forwarded (e.g.
 * replace the object a GET is about to read). Bodies stream through untouched.
 */
import { forwardUpstream, loopbackUpstream, startLoopbackServer } from '../support/loopback-proxy';

/** One request as the proxy saw it. */
export interface WatchedRequest {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly ifMatch: string | undefined;
  status?: number;
  /** The response's ETag header, when it had one. */
  etag?: string;
}

export interface WatchingProxy {
  readonly endpoint: string;
  readonly log: readonly WatchedRequest[];
  /** Runs before each request is forwarded; the request waits for it. */
  before: (request: WatchedRequest) => Promise<void>;
  stop(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 (a random port) in front of `target`, an `http://127.0.0.1:<port>` endpoint. */
export async function startWatchingProxy(target: string): Promise<WatchingProxy> {
  const upstream = loopbackUpstream(target, 'watching proxy');
  const log: WatchedRequest[] = [];
  let before: WatchingProxy['before'] = async () => undefined;
  const server = await startLoopbackServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    const [, bucket = '', ...rest] = path.split('/');
    const header = req.headers['if-match'];
    const entry: WatchedRequest = {
      method: req.method ?? 'GET',
      bucket: decodeURIComponent(bucket),
      key: rest.map((s) => decodeURIComponent(s)).join('/'),
      ifMatch: Array.isArray(header) ? header[0] : header,
    };
    log.push(entry);
    req.pause();
    before(entry).then(
      () => {
        const forward = forwardUpstream(upstream, req, (answer) => {
          entry.status = answer.statusCode;
          if (typeof answer.headers.etag === 'string') entry.etag = answer.headers.etag;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', () => res.destroy());
        req.pipe(forward);
        req.resume();
      },
      () => res.destroy(),
    );
  });
  return {
    endpoint: server.endpoint,
    log,
    get before() {
      return before;
    },
    set before(step) {
      before = step;
    },
    stop: () => server.stop(),
  };
}
