import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './command';

/**
 * The flags that say where AWS (or an S3-compatible server) is, named as the AWS CLI names them:
 * `--endpoint-url` (`--endpoint`, the name csv2lake used first, is kept as an alias), `--region`, `--profile`.
 */
export const AWS_FLAGS = {
  'endpoint-url': { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Their lines in a command's usage text. */
export const AWS_FLAGS_USAGE = `  --endpoint-url URL                 an S3-compatible server for s3:// locations (alias --endpoint)
  --region <region>                  the AWS region, default $AWS_REGION (or the profile's)
  --profile <name>                   a named profile of ~/.aws/config and ~/.aws/credentials, default
                                     $AWS_PROFILE`;

type AwsFlagValues = { 'endpoint-url'?: string; endpoint?: string; region?: string; profile?: string };

/**
 * Applies `--region` and `--profile` as the AWS SDK reads them (AWS_REGION, AWS_PROFILE: every client this
 * process makes afterwards, the converters' included, takes them) and returns the endpoint.
 * @throws UsageError when --endpoint-url and --endpoint disagree, or a value is empty or not a URL
 */
export function awsFlagOptions(
  values: AwsFlagValues,
  env: NodeJS.ProcessEnv = process.env,
): { endpoint?: string } {
  const { 'endpoint-url': endpointUrl, endpoint: alias } = values;
  if (endpointUrl !== undefined && alias !== undefined && endpointUrl !== alias)
    throw new UsageError('give --endpoint-url or its alias --endpoint, not both');
  const endpoint = endpointUrl ?? alias;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw new UsageError(
      `--endpoint-url must be an http(s) URL such as http://127.0.0.1:4566, not '${endpoint}'`,
    );
  for (const [flag, value, variable] of [
    ['region', values.region, 'AWS_REGION'],
    ['profile', values.profile, 'AWS_PROFILE'],
  ] as const) {
    if (value === undefined) continue;
    if (value.trim() === '') throw new UsageError(`--${flag} needs a value`);
    env[variable] = value;
  }
  return endpoint !== undefined ? { endpoint } : {};
}
