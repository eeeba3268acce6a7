/** How the local runner invokes a function: its environment and timeout, and a Lambda-like context. */

/** A local function's environment and timeout, from the synthesized template (see LocalRunner). */
export interface FunctionSettings {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

/** The Lambda context of an invocation starting now, of a function with this timeout. */
export function invocationContext(timeoutMs: number): { getRemainingTimeInMillis(): number } {
  const deadline = Date.now() + timeoutMs;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

type LocalHandler = (input: unknown) => Promise<unknown>;

/**
 * The task handlers of one child execution, which track the invocations they start. When a Parallel branch
 * fails, the interpreter aborts its sibling branches but leaves their Lambda invocations running (as the
 * service does) and still lets an aborted Task retry. Once the child's execution has settled, {@link close}
 * refuses new invocations and waits for those in flight, so that no conversion outlives its child (and its
 * run): it would otherwise write after the report, be cut off mid-file, or hold its Task's timeout timer.
 */
export function invocationScope(handlers: Readonly<Record<string, LocalHandler>>): {
  handlers: Record<string, LocalHandler>;
  close(): Promise<void>;
} {
  const inFlight = new Set<Promise<unknown>>();
  let open = true;
  const scoped: Record<string, LocalHandler> = {};
  for (const [state, handler] of Object.entries(handlers)) {
    scoped[state] = (input) => {
      if (!open) {
        const error = new Error(`${state} was not invoked: its execution has already ended`);
        return Promise.reject(Object.assign(error, { name: 'States.Runtime' }));
      }
      const invocation = handler(input);
      inFlight.add(invocation);
      const settled = () => inFlight.delete(invocation);
      invocation.then(settled, settled);
      return invocation;
    };
  }
  return {
    handlers: scoped,
    async close() {
      open = false;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * The interpreter's override of the retry pause of each of the states `names` (the runner's test hook), or
 * nothing to keep the definition's.
 */
export function retryOverrides(
  names: readonly string[],
  ms: number | undefined,
): { retryIntervalOverrides?: Record<string, number> } {
  if (ms === undefined) return {};
  return { retryIntervalOverrides: Object.fromEntries(names.map((name) => [name, ms])) };
}
