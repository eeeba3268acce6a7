/*
 * Which run a report describes, in the words its reader needs: the input as they named it, and how to
 * redrive the run there — a local run with its exact `csv2lake redrive` command, a run on AWS from the Step
 * Functions console or with the AWS CLI.
 */

/** How a run is redriven once its failed files are fixed. */
export type RedriveHint =
  /** A local run: the command to run, options included. */
  | { readonly kind: 'local'; readonly command: string }
  /** A Step Functions execution; its ARN when the reducer could tell it. */
  | { readonly kind: 'aws'; readonly executionArn?: string };

/** Where a run came from, as its report says it. */
export interface RunOrigin {
  /** The input as its user names it: `s3://bucket/prefix`, a folder, or `s3://…` at a local endpoint. */
  readonly input: string;
  /** The S3-compatible endpoint an `s3://` input was read from, when not AWS's. */
  readonly endpoint?: string;
  readonly redrive: RedriveHint;
}

/**
 * The execution of a Map Run, from its ARN (`arn:aws:states:<region>:<account>:mapRun:<state
 * machine>/<execution>:<id>`, as ResultWriter's manifest names it), or undefined for another form.
 */
export function executionArnOfMapRun(mapRunArn: string): string | undefined {
  const m = /^arn:([\w-]+):states:([^:]+):(\d{12}):mapRun:([^/:]+)\/([^:]+):[^:]+$/.exec(mapRunArn);
  return m ? `arn:${m[1]}:states:${m[2]}:${m[3]}:execution:${m[4]}:${m[5]}` : undefined;
}

/** A run on AWS: its input bucket and prefix, redriven as a Step Functions execution. */
export function awsOrigin(input: { bucket: string; prefix: string }, executionArn?: string): RunOrigin {
  return {
    input: `s3://${input.bucket}/${input.prefix}`,
    redrive: { kind: 'aws', ...(executionArn ? { executionArn } : {}) },
  };
}

/** A word as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
