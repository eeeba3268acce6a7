/*
 * The code asset of a pipeline function: the handler's esbuild bundle with the native snappy addon of the
 * Lambda architecture beside it, the same from a clone and from the installed package.
 *
 * A clone bundles the TypeScript handler at synthesis, with its own esbuild. The package ships no handler
 * sources: `npm pack` (prepack) prebuilds every bundle into dist/handlers/<name>/ with the very same options
 * (prebuildHandlers below), and synthesis copies it. So a consumer's app needs neither esbuild, nor Docker,
 * nor the handlers' dependencies, and deploys the bytes this project tested (the assets are byte for byte
 * those a clone synthesizes: test/package). Measured on a loaded 2-core VM, a stack's three functions (median
 * of 7): 0.04–0.16 s to copy the prebuilt bundles and snappy, 0.4–0.5 s to bundle them from the sources.
 * The snappy addon cannot be bundled (a native binary); it is copied from wherever Node resolves `snappy`
 * from the package, i.e. the consumer's node_modules.
 */
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

/** The package's name in package.json, by which its folder is recognised. */
const PACKAGE_NAME = 'csv2lake';

/** The handler modules of `lambdas/handlers/` the pipeline deploys: the ones `npm pack` prebuilds. */
export const PIPELINE_HANDLERS = ['convert-parquet.ts', 'convert-avro.ts', 'reduce.ts', 'plan.ts'] as const;

/** Where the prebuilt bundles are, below the package's folder: `<dir>/<handler name>/index.js`. */
export const PREBUILT_HANDLERS_DIR = 'dist/handlers';

/**
 * The package's folder: the nearest folder above this module whose package.json is csv2lake's, whether it
 * runs from its source (lib/constructs/), compiled (dist/lib/constructs/, in a clone or under a consumer's
 * node_modules), or from the CLI's bundle (dist/). A bundle copied elsewhere (the tests' CLI) is run from the
 * project's folder: the working directory is tried next.
 * @throws Error when neither is in a csv2lake folder
 */
export function packageRoot(): string {
  for (const from of [__dirname, process.cwd()]) {
    for (let dir = from; ; dir = dirname(dir)) {
      if (isPackageFolder(dir)) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package folder above ${__dirname} or ${process.cwd()}`);
}

function isPackageFolder(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The npm package of the snappy addon for an architecture (Lambda runs Linux, glibc). */
export function snappyPackage(architecture: lambda.Architecture): string {
  return architecture === lambda.Architecture.ARM_64
    ? '@napi-rs/snappy-linux-arm64-gnu'
    : '@napi-rs/snappy-linux-x64-gnu';
}

/** The folder of `snappy` as Node resolves it from the package: the consumer's node_modules once installed. */
function snappyFolder(): string {
  const require = createRequire(join(packageRoot(), 'package.json'));
  return dirname(require.resolve('snappy/package.json'));
}

/**
 * The command that installs the addon of an architecture on any host. npm installs only the host's build of
 * snappy's optional dependencies (so synthesis on macOS or on arm64 had no x86_64 build): `--force` installs
 * one for another platform, `--no-save` keeps it out of package.json and the lock file, and the version is
 * snappy's own, which the addon must match.
 */
export function snappyInstallCommand(architecture: lambda.Architecture): string {
  const snappy = JSON.parse(readFileSync(join(snappyFolder(), 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const name = snappyPackage(architecture);
  const version = snappy.optionalDependencies?.[name];
  return `npm install --no-save --force ${name}${version ? `@${version}` : ''}`;
}

/**
 * The folder of the addon of an architecture, resolved from snappy's folder as snappy's own loader does
 * (hoisted beside it, or nested in it).
 * @throws Error when it is not installed, with the command that installs it
 */
export function snappyAddonFolder(architecture: lambda.Architecture): string {
  const addon = snappyPackage(architecture);
  try {
    return dirname(createRequire(join(snappyFolder(), 'package.json')).resolve(`${addon}/package.json`));
  } catch {
    throw new Error(
      `architecture ${architecture.name} needs the native addon ${addon} in node_modules (npm installs only ` +
        `the build for the machine it runs on): run \`${snappyInstallCommand(architecture)}\`, or deploy x86_64`,
    );
  }
}

/** The esbuild options of a handler's bundle, one definition for the prebuilt and the synthesized ones. */
function buildOptions(root: string, entry: string): esbuild.BuildOptions {
  return {
    entryPoints: [join(root, 'lambdas/handlers', entry)],
    // Written (prebuilt) or named (in memory) at the same place, so the source map's paths, and with them the
    // asset hash, are the same from a clone and from the package, wherever cdk.out is.
    outfile: join(root, PREBUILT_HANDLERS_DIR, handlerName(entry), 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The syntax level the code is tested at; it runs on nodejs22.x and nodejs24.x alike.
    target: 'node22',
    minify: false,
    sourcemap: true,
    // The runtime's SDK; the native addon is copied beside the bundle instead.
    external: ['@aws-sdk/*', 'snappy'],
    logLevel: 'warning',
  };
}

function handlerName(entry: string): string {
  return basename(entry).replace(/\.[cm]?[jt]s$/, '');
}

/** esbuild from the package's folder: a development dependency, present in a clone only. */
function loadEsbuild(root: string): typeof esbuild {
  try {
    return createRequire(join(root, 'package.json'))('esbuild') as typeof esbuild;
  } catch (cause) {
    throw new Error(`bundling the handlers from their sources needs esbuild: run \`npm ci\` in ${root}`, {
      cause,
    });
  }
}

/**
 * Bundles every handler of {@link PIPELINE_HANDLERS} into `dist/handlers/<name>/` (index.js and its source
 * map), as `npm pack` does before packing.
 */
export function prebuildHandlers(root: string = packageRoot()): string[] {
  const build = loadEsbuild(root);
  return PIPELINE_HANDLERS.map((entry) => {
    const options = buildOptions(root, entry);
    build.buildSync(options);
    return options.outfile as string;
  });
}

/** The files of a handler's bundle (name → bytes): bundled from its source in a clone, else the prebuilt ones. */
function bundleFiles(root: string, entry: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  if (existsSync(join(root, 'lambdas/handlers', entry))) {
    const result = loadEsbuild(root).buildSync({ ...buildOptions(root, entry), write: false });
    for (const file of result.outputFiles ?? []) files.set(basename(file.path), file.contents);
    return files;
  }
  const prebuilt = join(root, PREBUILT_HANDLERS_DIR, handlerName(entry));
  for (const name of ['index.js', 'index.js.map']) {
    if (existsSync(join(prebuilt, name))) files.set(name, readFileSync(join(prebuilt, name)));
  }
  if (!files.has('index.js')) {
    throw new Error(
      `no handler ${entry}: neither its source (lambdas/handlers/${entry}) nor its prebuilt bundle ` +
        `(${PREBUILT_HANDLERS_DIR}/${handlerName(entry)}/index.js) is in ${root}`,
    );
  }
  return files;
}

/**
 * The code of a pipeline function: an asset folder holding `index.js` (the handler's bundle, with its source
 * map) and `node_modules/snappy` with the addon of the architecture. Built at synthesis by CDK's local
 * bundling, so that a synthesis that skips bundling (`aws:cdk:bundling-stacks`) skips it too; the asset hash
 * is the output's, as NodejsFunction's is.
 * @param entry a module of `lambdas/handlers/` (e.g. `convert-parquet.ts`)
 * @throws Error when the addon of the architecture is not installed (see {@link snappyAddonFolder}), or the
 *   handler is neither in the sources nor prebuilt
 */
export function handlerCode(
  entry: string,
  architecture: lambda.Architecture,
  runtime: lambda.Runtime,
): lambda.Code {
  const root = packageRoot();
  const addon = snappyAddonFolder(architecture);
  const sources = join(root, 'lambdas/handlers');
  return lambda.Code.fromAsset(existsSync(sources) ? sources : join(root, PREBUILT_HANDLERS_DIR), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never run: the local bundling below always succeeds or throws. Docker is not needed.
      image: runtime.bundlingImage,
      // CDK caches bundles by source path and options: these name what makes two assets differ.
      command: ['csv2lake-handler', entry, snappyPackage(architecture)],
      local: {
        tryBundle(outputDir: string): boolean {
          for (const [name, bytes] of bundleFiles(root, entry)) writeFileSync(join(outputDir, name), bytes);
          const modules = join(outputDir, 'node_modules');
          mkdirSync(join(modules, '@napi-rs'), { recursive: true });
          cpSync(snappyFolder(), join(modules, 'snappy'), { recursive: true, dereference: true });
          cpSync(addon, join(modules, snappyPackage(architecture)), { recursive: true, dereference: true });
          return true;
        },
      },
    },
  });
}
