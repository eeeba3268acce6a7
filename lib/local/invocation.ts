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
