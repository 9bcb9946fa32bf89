#!/usr/bin/env node
/**
 * `npm run package`: a self-contained tarball for the build platform that runs on a host with
 * nothing but glibc: no Node.js, no npm, no node_modules to install, no compiler.
 *
 *   stepgate-<version>-<platform>-<arch>/
 *     stepgate                 launcher (sh): checks the host's glibc, runs runtime/node dist/cli.js
 *     runtime/node             the Node.js runtime this script runs on, copied byte for byte
 *     dist/                    the CLI bundled by esbuild, as `npm run build` bundles it
 *     node_modules/node-pty/   the only file esbuild cannot bundle: the compiled pty addon,
 *                              with the JavaScript that loads it and its package.json
 *     runbooks/  docs/  README.md  BUILD-INFO.json
 *
 * Why the runtime sits beside the bundle rather than a single executable (SEA + postject):
 * docs/package.md, with the measurements. In short: the same size, no faster, and a byte-exact
 * copy of a released node is simpler to verify than a binary rewritten by postject.
 *
 * Why node-pty stays outside the bundle: its loader (`lib/utils.js`) requires
 * `../build/Release/pty.node` relative to its own directory, so the addon and its loader must
 * keep their layout. The addon links the build machine's libc: BUILD-INFO.json states the
 * oldest glibc every shipped binary accepts (measured from their ELF symbol versions, see
 * scripts/elf.mjs), and the launcher refuses an older host in one line.
 *
 * Options: --out DIR (default ./pkg), --keep-stage (leave the unpacked tree beside the tarball).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './build.mjs';
import { highestVersion, readElfNeeds } from './elf.mjs';

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

step(`copying the Node.js runtime (${process.version}, ${process.execPath})`);
// The runtime is the node running this script, byte for byte: nothing is downloaded, and
// BUILD-INFO.json's sha256 can be checked against the build machine's node (and its package).
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) throw new Error(`package: stepgate needs Node.js 20 or newer; this build runs ${process.version} (${process.execPath})`);
mkdirSync(join(stage, 'runtime'));
const runtime = join(stage, 'runtime', 'node');
cpSync(process.execPath, runtime);
chmodSync(runtime, 0o755);
const nodeLicense = [
  join(dirname(process.execPath), '..', 'LICENSE'), // an official nodejs.org tarball
  join(dirname(process.execPath), '..', 'share', 'doc', 'nodejs', 'LICENSE'), // distribution packages
  join(dirname(process.execPath), '..', 'share', 'doc', 'node', 'LICENSE'),
].find((file) => existsSync(file));
if (nodeLicense) cpSync(nodeLicense, join(stage, 'runtime', 'LICENSE'));

step('measuring what the shipped binaries need from the host (ELF symbol versions)');
const binaries = [
  'runtime/node',
  ...addonDirs.map((dir) => `node_modules/node-pty/${dir}/pty.node`),
].filter((file) => existsSync(join(stage, file)));
const needs = Object.fromEntries(binaries.map((file) => [file, readElfNeeds(join(stage, file))]));
const describe = (need) => ({
  glibc: highestVersion([need], 'GLIBC_'),
  glibcxx: highestVersion([need], 'GLIBCXX_'),
  libraries: need.libraries,
});
const glibc = highestVersion(Object.values(needs), 'GLIBC_');
const interpreter = needs['runtime/node']?.interpreter ?? null;
if (!glibc || !interpreter) throw new Error(`package: ${runtime} does not look like a glibc binary (no GLIBC_ symbol versions or no interpreter)`);
const libraries = [...new Set(Object.values(needs).flatMap((need) => need.libraries))];

step(`writing the launcher (needs glibc ${glibc}) and BUILD-INFO.json`);
const launcher = `#!/bin/sh
# stepgate ${pkg.version} (${target}): runs the bundled CLI with the Node.js runtime shipped
# beside it (runtime/node, ${process.version}), never a node from PATH. The host needs only
# glibc ${glibc} or newer and the libraries every glibc system has (BUILD-INFO.json lists them).
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
need=${glibc}
# Without the dynamic loader the runtime cannot start at all, and the shell would only say
# "not found" (Alpine and other musl hosts).
if [ ! -e ${interpreter} ]; then
  echo "stepgate: this host has no GNU C library (${interpreter} is missing); this package needs glibc $need or newer" >&2
  exit 2
fi
# The loader's own complaint would be a page of "version GLIBC_2.xx not found" lines.
have=$(getconf GNU_LIBC_VERSION 2>/dev/null) || have=
have=\${have#glibc }
case $have in
  [0-9]*.[0-9]*)
    have_major=\${have%%.*}
    have_minor=\${have#*.}
    have_minor=\${have_minor%%[!0-9]*}
    need_major=\${need%%.*}
    need_minor=\${need#*.}
    if [ "$have_major" -lt "$need_major" ] || { [ "$have_major" -eq "$need_major" ] && [ "$have_minor" -lt "$need_minor" ]; }; then
      echo "stepgate: this host has glibc $have; this package needs glibc $need or newer (build it on an older system, see BUILD-INFO.json)" >&2
      exit 2
    fi
    ;;
esac
exec "$root/runtime/node" "$root/dist/cli.js" "$@"
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
writeFileSync(
  join(stage, 'BUILD-INFO.json'),
  `${JSON.stringify(
    {
      name: 'stepgate',
      version: pkg.version,
      platform: process.platform,
      arch: process.arch,
      commit: gitCommit() ?? null,
      builtAt: new Date().toISOString(),
      // What the host must have: measured from the symbol versions of the binaries below.
      requires: { glibc, glibcxx: highestVersion(Object.values(needs), 'GLIBCXX_'), interpreter, libraries },
      runtime: {
        path: 'runtime/node',
        node: process.version,
        napiVersion: process.versions.napi,
        sha256: createHash('sha256').update(readFileSync(runtime)).digest('hex'),
        copiedFrom: process.execPath,
      },
      nodePty: ptyPkg.version,
      binaries: Object.fromEntries(Object.entries(needs).map(([file, need]) => [file, describe(need)])),
      builtOn: { glibc: process.report?.getReport?.().header?.glibcVersionRuntime ?? null },
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
