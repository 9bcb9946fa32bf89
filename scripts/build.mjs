#!/usr/bin/env node
/**
 * `npm run build`: dist/ as esbuild bundles it (type checking is `npm run typecheck`, part of
 * `npm test`). `npm run package` ships the same bundle (`bundle()` below).
 *
 *   dist/cli.js            the CLI (`bin`): argument parsing only; every command is a chunk
 *   dist/chunks/*.js       code split by what each command loads: `lint` and `plan` load the
 *                          markdown and YAML code and never Ink, React, xterm or node-pty
 *   dist/lint-worker.js    parses and lints one file on a worker thread (`lint` of several)
 *   dist/exec/shell.js     exec's shell and probes as modules of their own, for the test
 *   dist/exec/probes.js    fixtures that run them in a child process as another user
 *   dist/bundle-inputs.json  which sources went into which output, for the start-up test
 *   dist/wasm/*.wasm       the bash grammar preflight reads scripts with (tree-sitter), which
 *                          esbuild cannot inline; src/exec/bash-words.ts looks here first
 *
 * Why a bundle: node resolves, reads and compiles one file per command instead of about 150
 * ESM modules, which halves the start-up of `plan` and `lint` (docs/performance.md).
 *
 * Options: --out DIR (default ./dist), --no-sourcemap.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { narrowWidthPlugin } from './narrow-width.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Output name (without .js) -> source, relative to the repository. */
export const ENTRY_POINTS = {
  cli: 'src/cli.ts',
  'exec/shell': 'src/exec/shell.ts',
  'exec/probes': 'src/exec/probes.ts',
};

/** A hash of what decides a parse: the parser's sources and the locked dependency versions. */
function parserId() {
  const hash = createHash('sha256');
  const dir = join(root, 'src/runbooks');
  for (const name of readdirSync(dir).sort()) hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  hash.update(readFileSync(join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 32);
}

/** yoga-layout's loader (Ink's layout engine), whose grammar of WebAssembly is inlined as base64. */
export const YOGA_LOADER = /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/;

/**
 * Emscripten's loader fetches its inlined WebAssembly (a data: URL) with `fetch` wherever
 * `fetch` is a function, and in Node.js the first call of `fetch` loads undici, Node's whole
 * HTTP client: 40 to 70 ms of CPU before the TUI's first frame, for bytes already in memory
 * (issue 14). Told there is no `fetch`, the loader decodes the base64 itself. The count makes
 * a yoga-layout that reads differently fail the build instead of silently fetching again.
 */
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: YOGA_LOADER }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const asks = /"function"\s*!=\s*typeof fetch/g;
      if (!asks.test(text)) throw new Error(`${args.path}: no \`"function" != typeof fetch\` to turn off; see yogaWithoutFetch in scripts/build.mjs`);
      return { contents: text.replace(asks, 'true'), loader: 'js' };
    });
  },
};

/**
 * Bundle the CLI into `outdir` (emptied first). Returns esbuild's metafile.
 * @param {{ outdir: string, sourcemap?: boolean }} options
 */
export async function bundle({ outdir, sourcemap = true }) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // node-pty: a native addon whose loader finds pty.node relative to itself, so it stays a
    // package. react-devtools-core: Ink imports it only when DEV=true; it is not a dependency.
    external: ['node-pty', 'react-devtools-core'],
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __stepgateCreateRequire } from 'node:module';\nconst require = __stepgateCreateRequire(import.meta.url);",
    },
    // React's production build, fixed at bundle time (the development build checks every
    // render). The NODE_ENV toggle in src/commands/tui.ts folds into dead code here, which
    // esbuild reports as an assignment to a defined constant.
    // The parse cache (src/commands/parse-cache.ts) trusts only entries of this very parser.
    define: { 'process.env.NODE_ENV': '"production"', __STEPGATE_PARSER_ID__: JSON.stringify(parserId()) },
    logOverride: { 'assign-to-define': 'silent' },
    sourcemap: sourcemap ? 'linked' : false,
    legalComments: 'linked',
    metafile: true,
    plugins: [yogaWithoutFetch, narrowWidthPlugin(root)],
    logLevel: 'warning',
  });
  const inputs = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (!out.endsWith('.js')) continue;
    inputs[relative(outdir, resolve(root, out))] = Object.keys(meta.inputs).sort();
  }
  writeFileSync(join(outdir, 'bundle-inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
  chmodSync(join(outdir, 'cli.js'), 0o755);
  const resolveFrom = createRequire(join(root, 'package.json')).resolve;
  mkdirSync(join(outdir, 'wasm'));
  for (const file of ['web-tree-sitter/web-tree-sitter.wasm', 'tree-sitter-bash/tree-sitter-bash.wasm']) {
    copyFileSync(resolveFrom(file), join(outdir, 'wasm', file.split('/')[1]));
  }
  return result.metafile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'dist') }, 'no-sourcemap': { type: 'boolean', default: false } } });
  await bundle({ outdir: resolve(values.out), sourcemap: !values['no-sourcemap'] });
}
