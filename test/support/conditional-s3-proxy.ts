/*
 * S3's conditional writes in front of fauxqs, which does not check them on writes: fauxqs 2.4.1 (the
 * latest release) honours If-Match on GetObject and RenameObject only, and stores a PutObject with
 * `If-None-Match: *` over an existing object (tried: both writes answered 200). This proxy on loopback
 * checks `If-Match` / `If-None-Match` on PutObject and CompleteMultipartUpload as S3 documents them (412
 * PreconditionFailed when the condition does not hold; 404 NoSuchKey for If-Match on a missing key), with
 * every write of a key serialized, and forwards everything else unchanged. Drop it once fauxqs checks them.
 */
import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { forwardUpstream, loopbackUpstream, sendS3Error, startLoopbackServer } from './loopback-proxy';

/** The proxy: give {@link ConditionalS3Proxy.endpoint} to the SDK. */
export interface ConditionalS3Proxy {
  readonly endpoint: string;
  /** Conditional writes refused so far (412 or 404). */
  readonly refused: number;
  stop(): Promise<void>;
}

/** S3's refusal of a write whose condition does not hold. */
function refuse(res: ServerResponse, status: 412 | 404): void {
  sendS3Error(res, {
    status,
    ...(status === 412
      ? {
          code: 'PreconditionFailed',
          message: 'At least one of the pre-conditions you specified did not hold',
        }
      : { code: 'NoSuchKey', message: 'The specified key does not exist.' }),
    requestId: 'conditional-proxy',
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Starts the proxy on 127.0.0.1 (a random port) in front of `target`, an `http://127.0.0.1:<port>` S3 endpoint. */
export async function startConditionalS3Proxy(target: string): Promise<ConditionalS3Proxy> {
  const upstream = loopbackUpstream(target, 'conditional proxy');
  // The writes of each object, one after another: the check and the write it allows are one step.
  const queues = new Map<string, Promise<void>>();
  let refused = 0;

  /** The object's current ETag (undefined when absent), asked of the server itself. */
  const currentEtag = (path: string, headers: IncomingMessage['headers']) =>
    new Promise<string | undefined>((resolve, reject) => {
      const head = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: 'HEAD',
          path,
          headers: { host: headers.host, authorization: headers.authorization },
        },
        (answer) => {
          answer.resume();
          const etag = answer.headers.etag;
          resolve(answer.statusCode === 200 ? etag : undefined);
        },
      );
      head.on('error', reject);
      head.end();
    });

  /** Forwards the request with its (already read) body; resolves when the answer is fully sent. */
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const forwarded = forwardUpstream(upstream, req, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', resolve);
      });
      forwarded.on('error', () => {
        res.socket?.destroy();
        resolve();
      });
      forwarded.end(body);
    });

  const server = await startLoopbackServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isWrite =
      (req.method === 'PUT' && !url.searchParams.has('partNumber') && !header(req, 'x-amz-copy-source')) ||
      (req.method === 'POST' && url.searchParams.has('uploadId'));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!isWrite) {
        void forward(req, body, res);
        return;
      }
      const ifMatch = header(req, 'if-match');
      const ifNoneMatch = header(req, 'if-none-match');
      const step = async () => {
        if (ifMatch !== undefined || ifNoneMatch !== undefined) {
          const etag = await currentEtag(url.pathname, req.headers);
          const status =
            ifNoneMatch === '*' && etag !== undefined
              ? 412
              : ifMatch !== undefined && etag === undefined
                ? 404
                : ifMatch !== undefined && etag !== ifMatch
                  ? 412
                  : undefined;
          if (status !== undefined) {
            refused++;
            refuse(res, status);
            return;
          }
        }
        await forward(req, body, res);
      };
      const previous = queues.get(url.pathname) ?? Promise.resolve();
      const next = previous.then(step, step).catch(() => {
        res.socket?.destroy();
      });
      queues.set(url.pathname, next);
      void next.then(() => {
        if (queues.get(url.pathname) === next) queues.delete(url.pathname);
      });
    });
  });
  return {
    endpoint: server.endpoint,
    get refused() {
      return refused;
    },
    stop: server.stop,
  };
}
