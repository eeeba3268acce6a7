import { S3TransientError } from '../shared/errors';

/**
 * An object body, read so that a broken read can never pass for a complete one: any error while streaming
 * (connection reset, checksum mismatch) is an {@link S3TransientError}, as is a body that delivers nothing
 * for `idleMs` (the connection is then destroyed) or one that ends before its Content-Length.
 */
export function guardedBody(
  body: AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void },
  what: string,
  expected: number | undefined,
  idleMs: number,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      const chunks = body[Symbol.asyncIterator]();
      let received = 0;
      let finished = false;
      try {
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const stalled = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new S3TransientError(
                `${what}: no data for ${idleMs / 1000} s after ${received} bytes (stalled connection); retry`,
              );
              body.destroy?.(error);
              reject(error);
            }, idleMs);
          });
          let next: IteratorResult<Uint8Array>;
          try {
            next = await Promise.race([chunks.next(), stalled]);
          } catch (error) {
            if (error instanceof S3TransientError) throw error;
            const e = error as Error;
            // Reading a body fails only on the way (network, checksum): worth a retry whatever the code.
            throw new S3TransientError(
              `${what}: the body broke after ${received} bytes: ${e.name}: ${e.message}`,
              { cause: error },
            );
          } finally {
            clearTimeout(timer);
          }
          if (next.done) break;
          received += next.value.length;
          yield next.value;
        }
        finished = true;
      } finally {
        // A reader that stops early (a failed conversion) must not leave the connection open.
        if (!finished) body.destroy?.();
      }
      if (expected !== undefined && received !== expected)
        throw new S3TransientError(
          `${what}: the body ended after ${received} of ${expected} bytes (truncated); retry`,
        );
    },
  };
}
