/*
 * The local handlers of the definition's Lambda task states: each calls the function the state names, as
 * the service would (the Lambda `{StatusCode, Payload}` wrapper the ASL expects), and keeps the runner's
 * account of it (the invocation log, the test hook's injected faults, rows and bytes for the progress bar).
 */
import type { Progress, StateHandler } from './distributed-map';
import { isJoinItem } from '../../lambdas/shared/payloads';

/** One handler invocation (for tests and the invocation log). */
export interface Invocation {
  readonly state: string;
  readonly key?: string;
  readonly at: number;
  readonly outcome: 'ok' | string;
}

/** A function as the runner calls it locally, by its local name: the payload in, the result out. */
export type LocalFunctionCall = (payload: any) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Lambda payload is untyped JSON

/** What the handlers account to. */
export interface TaskHooks {
  /** Rows and bytes converted are added here. */
  readonly progress: Progress;
  /** The function whose results count rows and bytes: the first format's (every format reads the same input). */
  readonly countedFunction: string;
  /** Every invocation is logged here (for tests). */
  readonly invocations?: Invocation[];
  /** Test hook: an error to throw instead of invoking the handler of a task state for an item. */
  readonly fault?: (state: string, payload: unknown, attempt: number) => Error | undefined;
}

/**
 * The handler of each Lambda task state (`tasks`: state name → local function name).
 * @throws Error when a state calls a function that has no local handler
 */
export function taskHandlers(
  tasks: Readonly<Record<string, string>>,
  functions: Readonly<Record<string, LocalFunctionCall>>,
  hooks: TaskHooks,
): Record<string, StateHandler> {
  const attempts = new Map<string, number>();
  const handlers: Record<string, StateHandler> = {};
  for (const [state, fn] of Object.entries(tasks)) {
    const call = functions[fn];
    if (!call) throw new Error(`local runner: state ${state} calls ${fn}, which has no local handler`);
    handlers[state] = async (input) => {
      const { Payload } = input as { Payload: { key?: string } };
      const id = `${state}:${Payload?.key ?? ''}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const log = (outcome: string) =>
        hooks.invocations?.push({
          state,
          ...(Payload?.key ? { key: Payload.key } : {}),
          at: Date.now(),
          outcome,
        });
      try {
        const injected = hooks.fault?.(state, Payload, attempt);
        if (injected) throw injected;
        const result = await call(Payload);
        log('ok');
        // A split key's rows count as its range items convert them in round 1 (issue 16): not again in
        // round 2, nor when its join (which converts a moved start at most) answers.
        const again = isJoinItem(Payload) || (Payload as { range?: { round?: number } }).range?.round === 2;
        if (fn === hooks.countedFunction && !again) {
          const r = result as { rows?: number; bytesIn?: number; results?: unknown[] };
          for (const one of (r?.results ?? [r]) as { rows?: number; bytesIn?: number }[]) {
            hooks.progress.rows += one?.rows ?? 0;
            hooks.progress.bytes += one?.bytesIn ?? 0;
          }
        }
        return { StatusCode: 200, Payload: result };
      } catch (error) {
        log((error as Error).name);
        throw error;
      }
    };
  }
  return handlers;
}
