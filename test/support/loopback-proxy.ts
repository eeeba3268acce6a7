/*
 * The plumbing every test proxy in front of the local S3 server shares (fault-proxy.ts, conditional-s3-proxy.ts):
 * a loopback-only upstream, a server on a random loopback port whose stop ends its open connections,
 * forwarding a request upstream as it came, and S3's XML error answer.
 */
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A proxy's server: give {@link LoopbackServer.endpoint} to the SDK. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Ends every open connection, then closes the server. */
  stop(): Promise<void>;
}

/**
 * The upstream of a proxy, refused unless it is an `http://127.0.0.1:<port>` endpoint (a test never
 * forwards off the machine).
 * @param proxy the proxy's name, for the message
 */
export function loopbackUpstream(target: string, proxy: string): URL {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1')
    throw new Error(`the ${proxy} forwards to http://127.0.0.1 only, not ${target}`);
  return upstream;
}

/** Starts `handler` on 127.0.0.1, on a port the system picks. */
export async function startLoopbackServer(handler: RequestListener): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends `req` (method, path and headers as they came) to `upstream`; the caller writes the body (or pipes
 * the request into it) and handles the answer.
 */
export function forwardUpstream(
  upstream: URL,
  req: IncomingMessage,
  onAnswer: (answer: IncomingMessage) => void,
): ClientRequest {
  return httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    onAnswer,
  );
}

/** What an S3 error answer says. */
export interface S3ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Who answered, as S3's RequestId. */
  readonly requestId: string;
  /** The request's method: a HEAD answer has no body. @default a body */
  readonly method?: string;
}

/** Answers as S3 does when it refuses a request: the status and an XML `<Error>` body. */
export function sendS3Error(res: ServerResponse, answer: S3ErrorAnswer): void {
  const body =
    answer.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.code}</Code><Message>${answer.message}</Message><RequestId>${answer.requestId}</RequestId></Error>`;
  res.writeHead(answer.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
