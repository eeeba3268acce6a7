/*
 * The construct as a consumer gets it (issue 14): `npm pack`, installed into a fresh CDK app in a temp folder
 * with the aws-cdk-lib and constructs this project pins, synthesized there by plain Node (that app has no
 * ts-node, tsx, esbuild or Docker), and type-checked as a strict TypeScript app would be.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CsvConversionPipeline } from '../../lib/csv-conversion-pipeline';

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const CONTEXT = { '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true };
const ADDON = 'node_modules/@napi-rs/snappy-linux-x64-gnu/snappy.linux-x64-gnu.node';

/** The consumer's app: the stack the in-process synthesis below builds too, with the same ids. */
const APP_JS = `const { App, Stack } = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const { CsvConversionPipeline } = require('csv2lake');
const app = new App({ context: ${JSON.stringify(CONTEXT)} });
const stack = new Stack(app, 'Consumer');
new CsvConversionPipeline(stack, 'Pipeline', {
  inputBucket: new s3.Bucket(stack, 'Input'),
  outputBucket: new s3.Bucket(stack, 'Output'),
});
app.synth();
`;

/** The same app in TypeScript, using the exported props type, for the type check. */
const APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CsvConversionPipeline, type CsvConversionPipelineProps, PIPELINE_DEFAULTS } from 'csv2lake';
const app = new App();
const stack = new Stack(app, 'Consumer');
const props: CsvConversionPipelineProps = {
  inputBucket: new s3.Bucket(stack, 'Input'),
  outputBucket: new s3.Bucket(stack, 'Output'),
  maxConcurrency: PIPELINE_DEFAULTS.maxConcurrency,
};
const pipeline: CsvConversionPipeline = new CsvConversionPipeline(stack, 'Pipeline', props);
export const arn: string = pipeline.stateMachine.stateMachineArn;
`;

interface Run {
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to its end or its timeout (then killed), and fails with its output unless it exits 0.
 * npm's own variables of the `npm test` running this are dropped, so that npm in the child sees only the
 * user's configuration, as in a shell.
 */
function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    env: { ...clean, CDK_DISABLE_CLI_TELEMETRY: 'true', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  if (result.error || result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} in ${cwd}: ${result.error?.message ?? `exit ${result.status} ${result.signal ?? ''}`}` +
        ` after ${ms} ms\n${String(result.stdout).slice(-4000)}\n${String(result.stderr).slice(-4000)}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr, ms };
}

/** Asset folder names (`asset.<hash>`) of a cloud assembly. */
const assetFolders = (dir: string) =>
  readdirSync(dir)
    .filter((d) => d.startsWith('asset.'))
    .sort();

let work = '';
let app = '';
let outdir = '';
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let template: Template;
let fromSources: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'csv2lake-pack-'));
  // The assets a synthesis from the sources makes (in-process, esbuild at synthesis), just before packing.
  const sources = new App({ outdir: join(work, 'sources.out'), context: CONTEXT });
  const stack = new Stack(sources, 'Consumer');
  new CsvConversionPipeline(stack, 'Pipeline', {
    inputBucket: new s3.Bucket(stack, 'Input'),
    outputBucket: new s3.Bucket(stack, 'Output'),
  });
  fromSources = assetFolders(sources.synth().directory);

  const pack = run('npm', ['pack', '--pack-destination', work, '--json'], root, 240_000);
  packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!;

  app = join(work, 'app');
  mkdirSync(app);
  const devDependencies = manifest.devDependencies as Record<string, string>;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      private: true,
      dependencies: {
        csv2lake: `file:../${packed.filename}`,
        'aws-cdk-lib': devDependencies['aws-cdk-lib'],
        constructs: devDependencies['constructs'],
      },
      devDependencies: { '@types/node': devDependencies['@types/node'] },
    }),
  );
  writeFileSync(join(app, 'app.js'), APP_JS);
  writeFileSync(join(app, 'app.ts'), APP_TS);
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app, 300_000);

  // Outside the app's folder, so that loading a handler below cannot fall back on the app's node_modules.
  outdir = join(work, 'cdk.out');
  const synth = run(process.execPath, ['app.js'], app, 180_000, { CDK_OUTDIR: outdir });
  template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')));
  console.log(
    `pack ${(packed.size / 1e6).toFixed(2)} MB (${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ` +
      `${packed.files.length} files) in ${pack.ms} ms; install ${install.ms} ms; synth ${synth.ms} ms`,
  );
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds compiled JavaScript with declarations and the prebuilt handlers, no sources or lock file', () => {
  const paths = packed.files.map((f) => f.path);
  expect(paths).toEqual(
    expect.arrayContaining([
      'package.json',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/csv-conversion-pipeline.d.ts',
      'dist/handlers/convert-parquet/index.js',
      'dist/handlers/convert-avro/index.js',
      'dist/handlers/reduce/index.js',
    ]),
  );
  expect(
    paths.filter((p) => /(?<!\.d)\.ts$/.test(p) || /package-lock|^test\/|^lambdas\/|^lib\//.test(p)),
  ).toEqual([]);
});

test('the package exports its entry, takes aws-cdk-lib and constructs as peers, and brings no Node binary', () => {
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/csv2lake/package.json'), 'utf8'));
  expect(installed.exports['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
  expect(Object.keys(installed.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  expect(Object.keys(installed.dependencies)).toEqual(
    expect.not.arrayContaining(['node', 'aws-cdk-lib', 'constructs', 'ts-node', 'tsx', 'esbuild']),
  );
  // The app's own Node stays the one its scripts run on, and there is one aws-cdk-lib: the app's.
  expect(existsSync(join(app, 'node_modules/.bin/node'))).toBe(false);
  expect(existsSync(join(app, 'node_modules/node'))).toBe(false);
  expect(existsSync(join(app, 'node_modules/csv2lake/node_modules/aws-cdk-lib'))).toBe(false);
});

test('plain node synthesizes the state machine and the four functions', () => {
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourcePropertiesCountIs(
    'AWS::Lambda::Function',
    { Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['x86_64'] },
    4,
  );
  const services = Object.values(template.findResources('AWS::Lambda::Function'))
    .map((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
    .sort();
  expect(services).toEqual(['AvroConverter', 'ParquetConverter', 'Planner', 'Reducer']);
});

test("each function's asset holds its bundled handler and the snappy addon of the app's node_modules, and loads", () => {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  const appAddon = readFileSync(join(app, ADDON));
  for (const fn of functions) {
    const asset = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(readFileSync(join(asset, 'index.js'), 'utf8')).toMatch(/\bhandler\b/);
    expect(existsSync(join(asset, 'node_modules/snappy/package.json'))).toBe(true);
    expect(readFileSync(join(asset, ADDON)).equals(appAddon)).toBe(true);
    // Loaded as Lambda would: the SDK from elsewhere (NODE_PATH), snappy from the asset.
    const loaded = run(
      process.execPath,
      [
        '-e',
        "const h = require(process.argv[1] + '/index.js'); console.log(JSON.stringify({ handler: typeof h.handler, " +
          "natives: Object.keys(require.cache).filter((k) => k.endsWith('.node')) }))",
        asset,
      ],
      work,
      60_000,
      { NODE_PATH: join(app, 'node_modules') },
    );
    expect(JSON.parse(loaded.stdout)).toEqual({ handler: 'function', natives: [join(asset, ADDON)] });
  }
});

test('the assets are byte for byte those a synthesis from the sources makes', () => {
  expect(assetFolders(outdir)).toEqual(fromSources);
  expect(fromSources).toHaveLength(4);
});

test('a strict TypeScript app type-checks against the declarations, libraries included', () => {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      files: ['app.ts'],
    }),
  );
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], app, 180_000);
});

test("the package's command line runs from the app", () => {
  const help = run(
    process.execPath,
    [join(app, 'node_modules/csv2lake/dist/csv2lake.cjs'), '--help'],
    app,
    60_000,
  );
  expect(help.stdout).toMatch(/Usage: csv2lake/);
});
