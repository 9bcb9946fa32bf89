#!/usr/bin/env node
/**
 * `npm run package`: a self-contained tarball for the build platform that runs with only `node`
 * (20 or newer) on the target host: no npm, no node_modules to install, no compiler.
 *
 *   stepgate-<version>-<platform>-<arch>/
 *     stepgate                 launcher (sh): finds node, checks its version, runs dist/cli.js
 *     dist/                    the CLI bundled by esbuild (ESM, one chunk per subcommand)
 *     node_modules/node-pty/   the only file esbuild cannot bundle: the compiled pty addon,
 *                              with the JavaScript that loads it and its package.json
 *     runbooks/  docs/  README.md  BUILD-INFO.json
 *
 * Why node-pty stays outside the bundle: its loader (`lib/utils.js`) requires
 * `../build/Release/pty.node` relative to its own directory, so the addon and its loader must
 * keep their layout. The addon is built against N-API, so it loads in any Node.js >= the one
 * it was built for, but it links the build machine's libc: build on the same OS family as the
 * hosts (for example the Ubuntu LTS they run).
 *
 * Options: --out DIR (default ./pkg), --keep-stage (leave the unpacked tree beside the tarball).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: options } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'pkg') },
    'keep-stage': { type: 'boolean', default: false },
  },
});

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const target = `${process.platform}-${process.arch}`;
const name = `stepgate-${pkg.version}-${target}`;
const outDir = resolve(options.out);
const stage = join(outDir, name);

function step(message) {
  process.stdout.write(`package: ${message}\n`);
}

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

step(`bundling src/cli.ts for node20 (${target})`);
// The same bundle as `npm run build` (scripts/build.mjs), without source maps.
const metafile = await bundle({ outdir: join(stage, 'dist'), sourcemap: false });
writeFileSync(join(stage, 'dist', 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);

step('copying node-pty (loader, compiled addon, package.json)');
const ptySource = join(root, 'node_modules', 'node-pty');
const ptyTarget = join(stage, 'node_modules', 'node-pty');
const ptyPkg = JSON.parse(readFileSync(join(ptySource, 'package.json'), 'utf8'));
mkdirSync(ptyTarget, { recursive: true });
writeFileSync(
  join(ptyTarget, 'package.json'),
  `${JSON.stringify({ name: ptyPkg.name, version: ptyPkg.version, license: ptyPkg.license, main: ptyPkg.main }, null, 2)}\n`,
);
for (const file of ['LICENSE']) {
  if (existsSync(join(ptySource, file))) cpSync(join(ptySource, file), join(ptyTarget, file));
}
cpSync(join(ptySource, 'lib'), join(ptyTarget, 'lib'), {
  recursive: true,
  filter: (src) => !/\.test\.js$|\.map$/.test(src),
});
// The loader tries build/Release, then prebuilds/<platform>-<arch> (macOS and Windows ship
// prebuilt binaries there, with the spawn-helper macOS needs beside the addon).
const addonDirs = ['build/Release', `prebuilds/${target}`].filter((dir) => existsSync(join(ptySource, dir, 'pty.node')));
if (addonDirs.length === 0) {
  throw new Error(`node-pty has no compiled addon for ${target}: run npm ci (it builds node-pty) first`);
}
for (const dir of addonDirs) {
  mkdirSync(join(ptyTarget, dir), { recursive: true });
  for (const file of readdirSync(join(ptySource, dir))) {
    if (file === 'pty.node' || file === 'spawn-helper' || file.endsWith('.dll') || file.endsWith('.exe')) {
      cpSync(join(ptySource, dir, file), join(ptyTarget, dir, file));
    }
  }
}

step('copying runbooks, docs and README');
cpSync(join(root, 'runbooks'), join(stage, 'runbooks'), { recursive: true });
if (existsSync(join(root, 'docs'))) cpSync(join(root, 'docs'), join(stage, 'docs'), { recursive: true });
for (const file of ['README.md', 'LICENSE']) {
  if (existsSync(join(root, file))) cpSync(join(root, file), join(stage, file));
}

step('writing the launcher and BUILD-INFO.json');
const launcher = `#!/bin/sh
# stepgate ${pkg.version} (${target}): runs the bundled CLI with the node on PATH, or $STEPGATE_NODE.
# Needs Node.js 20 or newer and nothing else.
self=$0
# Follow symlinks (/usr/local/bin/stepgate -> /opt/stepgate/stepgate) to find the bundle.
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
root=$(cd "$(dirname "$self")" && pwd)
node=\${STEPGATE_NODE:-node}
if ! command -v "$node" >/dev/null 2>&1; then
  echo "stepgate: cannot find node on PATH; install Node.js 20 or newer, or set STEPGATE_NODE" >&2
  exit 2
fi
# \`node --version\` answers in milliseconds; \`node -e\` would boot a whole runtime first.
version=$("$node" --version 2>/dev/null) || version=unknown
major=\${version#v}
major=\${major%%.*}
case $major in
  '' | *[!0-9]*) major=0 ;;
esac
if [ "$major" -lt 20 ]; then
  echo "stepgate: needs Node.js 20 or newer; $node is $version" >&2
  exit 2
fi
exec "$node" "$root/dist/cli.js" "$@"
`;
writeFileSync(join(stage, 'stepgate'), launcher);
chmodSync(join(stage, 'stepgate'), 0o755);

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
const libc = process.report?.getReport?.().header?.glibcVersionRuntime;
writeFileSync(
  join(stage, 'BUILD-INFO.json'),
  `${JSON.stringify(
    {
      name: 'stepgate',
      version: pkg.version,
      platform: process.platform,
      arch: process.arch,
      builtWithNode: process.version,
      napiVersion: process.versions.napi,
      glibc: libc ?? null,
      nodePty: ptyPkg.version,
      commit: gitCommit() ?? null,
      builtAt: new Date().toISOString(),
    },
    null,
    2,
  )}\n`,
);

step('writing the tarball');
const tarball = join(outDir, `${name}.tar.gz`);
rmSync(tarball, { force: true });
// `tar` keeps the modes (the launcher's and the demo scripts' executable bits, or their
// absence, which the demo relies on) and the owner is irrelevant with --no-same-owner on unpack.
execFileSync('tar', ['-czf', tarball, '-C', outDir, name], { stdio: 'inherit' });
if (!options['keep-stage']) rmSync(stage, { recursive: true, force: true });

const bundleBytes = Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
const tarBytes = statSync(tarball).size;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
step(`bundle ${mb(bundleBytes)} in ${Object.keys(metafile.outputs).length} files; tarball ${mb(tarBytes)}`);
const shown = relative(process.cwd(), tarball);
process.stdout.write(`${shown.startsWith('..') ? tarball : shown}\n`);
