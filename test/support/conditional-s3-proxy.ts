/*
 * S3's conditional writes in front of fauxqs, which does not check them on writes: fauxqs 2.4.1 (the
 * latest release) honours If-Match on GetObject and RenameObject only, and stores a PutObject with
 * `If-None-Match: *` over an existing object (tried: both writes answered 200). This proxy on loopback
 * checks `If-Match` / `If-None-Match` on PutObject and CompleteMultipartUpload as S3 documents them (412
 * PreconditionFailed when the condition does not hold; 404 NoSuchKey for If-Match on a missing key), with
 * every write of a key serialized, and forwards everything else unchanged. Drop it once fauxqs checks them.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The proxy: give {@link ConditionalS3Proxy.endpoint} to the SDK. */
export interface ConditionalS3Proxy {
  readonly endpoint: string;
  /** Conditional writes refused so far (412 or 404). */
  readonly refused: number;
  stop(): Promise<void>;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>conditional-proxy</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Starts the proxy on 127.0.0.1 (a random port) in front of `target`, an `http://127.0.0.1:<port>` S3 endpoint. */
export async function startConditionalS3Proxy(target: string): Promise<ConditionalS3Proxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1')
    throw new Error(`the conditional proxy forwards to http://127.0.0.1 only, not ${target}`);
  const sockets = new Set<Socket>();
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
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', resolve);
        },
      );
      forwarded.on('error', () => {
        res.socket?.destroy();
        resolve();
      });
      forwarded.end(body);
    });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
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
          if (ifNoneMatch === '*' && etag !== undefined) {
            refused++;
            s3Error(
              res,
              412,
              'PreconditionFailed',
              'At least one of the pre-conditions you specified did not hold',
            );
            return;
          }
          if (ifMatch !== undefined && etag === undefined) {
            refused++;
            s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
            return;
          }
          if (ifMatch !== undefined && etag !== ifMatch) {
            refused++;
            s3Error(
              res,
              412,
              'PreconditionFailed',
              'At least one of the pre-conditions you specified did not hold',
            );
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
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
