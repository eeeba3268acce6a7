/*
 * A fault-injecting HTTP proxy on loopback, between the AWS SDK and a local S3 server (fauxqs). Tests give
 * it a rule that looks at each request (method, bucket, key, query, its running number) and decides what
 * goes wrong: nothing, a 503 SlowDown or 500 InternalError answer, a response body reset or stalled after
 * some bytes, or a body cut short but framed as complete. Decisions are counted, never random or timed, so
 * every run provokes the same faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardUpstream, loopbackUpstream, sendS3Error, startLoopbackServer } from './loopback-proxy';

/** One request as the rule sees it. */
export interface ProxiedRequest {
  /** 1-based running number over every request the proxy received. */
  readonly n: number;
  readonly method: string;
  readonly bucket: string;
  /** The object key, URL-decoded; '' for bucket-level requests. */
  readonly key: string;
  readonly query: URLSearchParams;
}

/** What the proxy does with a request. */
export type FaultAction =
  | { readonly kind: 'pass' }
  /** Answer this status with an S3 XML error of this code; the upstream server never sees the request. */
  | { readonly kind: 'error'; readonly status: number; readonly code: string }
  /** Forward, then destroy the connection after this many body bytes of the response. */
  | { readonly kind: 'reset'; readonly afterBytes: number }
  /** Forward, then stop sending after this many body bytes, holding the connection open. */
  | { readonly kind: 'stall'; readonly afterBytes: number }
  /** Forward only this many body bytes, framed (chunked) as a complete response. */
  | { readonly kind: 'truncate'; readonly afterBytes: number }
  /** Neither forward nor answer: the client waits (until it gives up or the proxy stops). */
  | { readonly kind: 'hang' };

/** A request and what was done to it. */
export interface ProxyLogEntry extends ProxiedRequest {
  readonly action: FaultAction['kind'];
  /** The status the client got (undefined when the connection was reset or stalled before an answer). */
  status?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the SDK as its endpoint. */
  readonly endpoint: string;
  /** Every request, in arrival order. */
  readonly log: readonly ProxyLogEntry[];
  /** Replaces the rule (the request count keeps running). */
  setRule(rule: FaultRule): void;
  stop(): Promise<void>;
}

export type FaultRule = (request: ProxiedRequest) => FaultAction | undefined;

const PASS: FaultAction = { kind: 'pass' };

function parse(url: string): { bucket: string; key: string; query: URLSearchParams } {
  const parsed = new URL(url, 'http://proxy');
  const [, bucket = '', ...rest] = parsed.pathname.split('/');
  return {
    bucket: decodeURIComponent(bucket),
    key: rest.map((segment) => decodeURIComponent(segment)).join('/'),
    query: parsed.searchParams,
  };
}

/**
 * Starts the proxy on 127.0.0.1 (a random port) in front of `target` (an `http://127.0.0.1:<port>` S3
 * endpoint). Only loopback targets are accepted.
 */
export async function startFaultProxy(target: string, rule: FaultRule = () => PASS): Promise<FaultProxy> {
  const upstream = loopbackUpstream(target, 'fault proxy');
  let current = rule;
  let count = 0;
  const log: ProxyLogEntry[] = [];

  const server = await startLoopbackServer((req: IncomingMessage, res: ServerResponse) => {
    const { bucket, key, query } = parse(req.url ?? '/');
    const seen: ProxiedRequest = { n: ++count, method: req.method ?? 'GET', bucket, key, query };
    const action = current(seen) ?? PASS;
    const entry: ProxyLogEntry = { ...seen, action: action.kind };
    log.push(entry);

    if (action.kind === 'hang') return;
    if (action.kind === 'error') {
      // Read the request body first, so the client sees an answer and not a broken pipe.
      req.resume();
      req.on('end', () => {
        entry.status = action.status;
        sendS3Error(res, {
          method: seen.method,
          status: action.status,
          code: action.code,
          message: 'injected by the fault proxy',
          requestId: 'fault',
        });
      });
      return;
    }
    const forwarded = forwardUpstream(upstream, req, (answer) => {
      const headers = { ...answer.headers };
      if (action.kind === 'truncate') {
        // Chunked framing: the client cannot tell from the framing that bytes are missing.
        delete headers['content-length'];
        headers['transfer-encoding'] = 'chunked';
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      if (action.kind !== 'stall' && action.kind !== 'truncate' && action.kind !== 'reset') {
        entry.status = answer.statusCode;
        answer.pipe(res);
        return;
      }
      let sent = 0;
      answer.on('data', (chunk: Buffer) => {
        if (sent >= action.afterBytes) return;
        const room = action.afterBytes - sent;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        sent += part.length;
        res.write(part);
        if (sent < action.afterBytes) return;
        if (action.kind === 'reset') {
          answer.destroy();
          res.socket?.destroy();
        } else if (action.kind === 'truncate') {
          entry.status = answer.statusCode;
          answer.destroy();
          res.end();
        } else {
          // Stalled: nothing more is sent; the connection stays open until the client gives up.
          answer.pause();
        }
      });
      answer.on('end', () => {
        // The body was shorter than the fault's threshold: deliver it whole.
        if (sent < action.afterBytes) {
          entry.status = answer.statusCode;
          res.end();
        }
      });
    });
    forwarded.on('error', () => res.socket?.destroy());
    req.pipe(forwarded);
  });
  return {
    endpoint: server.endpoint,
    log,
    setRule: (next) => {
      current = next;
    },
    stop: server.stop,
  };
}

/** S3 requests by kind, for rules and assertions. */
export const isUploadPart = (r: ProxiedRequest): boolean =>
  r.method === 'PUT' && r.query.has('uploadId') && r.query.has('partNumber');
export const isObjectGet = (r: ProxiedRequest): boolean =>
  r.method === 'GET' && r.key !== '' && !r.query.has('uploadId');
