/**
 * What a shell script runs, read with a real bash grammar (tree-sitter-bash, compiled to WASM),
 * not a regex: the command words, the functions and aliases it defines, and the directories it
 * `cd`s into. Preflight resolves these on the host. Loading the grammar reads two .wasm files,
 * which is why this sits in exec rather than in the pure runbooks layer.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { Node as SyntaxNode, Parser as ParserType } from 'web-tree-sitter';
import type { ScriptWords } from './types.js';

/**
 * Commands that run another command given as their arguments: which of their options take a
 * value (the next word, when not glued to the option), and how many plain arguments come
 * before the command (`timeout 30 cmd`, `flock /run/x.lock cmd`).
 */
const WRAPPERS = new Map<string, { valued: RegExp; before: number }>([
  ['nohup', { valued: /^$/, before: 0 }],
  ['exec', { valued: /^-a$/, before: 0 }],
  ['setsid', { valued: /^$/, before: 0 }],
  ['time', { valued: /^-[fo]$/, before: 0 }],
  ['nice', { valued: /^-n$/, before: 0 }],
  ['env', { valued: /^-[uCS]$/, before: 0 }],
  ['builtin', { valued: /^$/, before: 0 }],
  ['command', { valued: /^$/, before: 0 }],
  ['stdbuf', { valued: /^-[ioe]$/, before: 0 }],
  ['sudo', { valued: /^-[ugCDhprtTU]$/, before: 0 }],
  ['xargs', { valued: /^-[nILPsdEa]$/, before: 0 }],
  ['timeout', { valued: /^-[sk]$/, before: 1 }],
  ['flock', { valued: /^-[wEc]$/, before: 1 }],
  ['ionice', { valued: /^-[cnp]$/, before: 0 }],
  ['chrt', { valued: /^$/, before: 1 }],
  ['taskset', { valued: /^$/, before: 1 }],
]);

let parser: Promise<ParserType> | undefined;

/**
 * The grammar's files: beside the installed packages in a clone, or in a `wasm/` folder beside
 * the bundle (the self-contained package has no node_modules).
 */
function wasmPath(pkgFile: string, bundled: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.join(here, 'wasm'), path.join(here, '..', 'wasm')]) {
    const candidate = path.join(dir, bundled);
    if (existsSync(candidate)) return candidate;
  }
  return createRequire(import.meta.url).resolve(pkgFile);
}

async function loadParser(): Promise<ParserType> {
  // V8 compiles WebAssembly twice: at once with its baseline compiler, then again optimised on
  // background threads, and a process cannot exit before those finish. For the 1.3 MB grammar
  // that second compile costs about 0.9 s of CPU (measured in bench/cli.bench.mjs) to speed up
  // parses that take a few ms: the baseline code is all preflight needs.
  v8.setFlagsFromString('--liftoff-only');
  const { Parser, Language } = await import('web-tree-sitter');
  const runtime = wasmPath('web-tree-sitter/web-tree-sitter.wasm', 'web-tree-sitter.wasm');
  await Parser.init({ locateFile: () => runtime });
  const bash = await Language.load(wasmPath('tree-sitter-bash/tree-sitter-bash.wasm', 'tree-sitter-bash.wasm'));
  const p = new Parser();
  p.setLanguage(bash);
  return p;
}

/** The literal text of a word, or undefined when it expands at run time. */
function literal(node: SyntaxNode): string | undefined {
  switch (node.type) {
    case 'word':
      return node.text.replace(/\\(.)/g, '$1');
    case 'number':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string':
      return node.namedChildren.every((c) => c?.type === 'string_content') ? node.text.slice(1, -1) : undefined;
    case 'concatenation': {
      const parts = node.namedChildren.map((c) => (c ? literal(c) : undefined));
      return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
    }
    case 'command_name':
      return node.firstNamedChild ? literal(node.firstNamedChild) : undefined;
    default:
      return undefined;
  }
}

/** Arguments of a command node (the words after its name), as nodes. */
function argumentsOf(command: SyntaxNode): SyntaxNode[] {
  return command.childrenForFieldName('argument').filter((n): n is SyntaxNode => n !== null);
}

/** Index of the wrapped command's word after options (and `env`'s NAME=value), or -1. */
function wrappedIndex(name: string, args: SyntaxNode[], from: number): number {
  const wrapper = WRAPPERS.get(name);
  if (!wrapper) return -1;
  let i = from;
  let before = wrapper.before;
  while (i < args.length) {
    const text = literal(args[i]!) ?? '';
    if (text === '--') {
      i += 1;
      continue;
    }
    if (text.startsWith('-')) {
      // nice -n 10 cmd, sudo -u ubuntu cmd: the option's value is the next word
      i += wrapper.valued.test(text) ? 2 : 1;
      continue;
    }
    if ((name === 'env' || name === 'sudo') && /^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
      i += 1;
      continue;
    }
    if (before > 0) {
      before -= 1;
      i += 1;
      continue;
    }
    return i;
  }
  return -1;
}

function visit(node: SyntaxNode, out: ScriptWords): void {
  if (node.type === 'function_definition') {
    const name = node.childForFieldName('name');
    if (name) out.defines.push(name.text);
  }
  if (node.type === 'command') {
    const nameNode = node.childForFieldName('name');
    const line = node.startPosition.row + 1;
    const at = node.startIndex;
    const args = argumentsOf(node);
    const name = nameNode ? literal(nameNode) : undefined;
    if (nameNode && name === undefined) out.commands.push({ name: nameNode.text, line, how: 'dynamic', at });
    if (name !== undefined) {
      out.commands.push({ name, line, how: 'literal', at });
      if (name === 'alias') {
        for (const a of args) {
          const text = literal(a) ?? '';
          const eq = text.indexOf('=');
          if (eq > 0) out.defines.push(text.slice(0, eq));
        }
      }
      if (name === 'cd') {
        const target = args.find((a) => !(literal(a) ?? '').startsWith('-'));
        out.cds.push({ dir: target ? literal(target) : '~', at });
      }
      if (name === 'eval') out.commands.push({ name: args.map((a) => a.text).join(' '), line, how: 'eval', at });
      // nohup env A=1 node srv.js: each wrapper's command is checked too
      let wrapper = name;
      let i = 0;
      while (WRAPPERS.has(wrapper)) {
        i = wrappedIndex(wrapper, args, i);
        const inner = args[i];
        if (i < 0 || !inner) break;
        const innerName = literal(inner);
        out.commands.push({ name: innerName ?? inner.text, line, how: innerName === undefined ? 'dynamic' : 'literal', at: inner.startIndex });
        if (innerName === undefined) break;
        wrapper = innerName;
        i += 1;
      }
    }
  }
  for (const child of node.namedChildren) if (child) visit(child, out);
}

/** The commands, definitions and `cd`s of a bash script. Never throws on bad syntax (bash -n judges that). */
export async function scriptWords(script: string): Promise<ScriptWords> {
  parser ??= loadParser();
  const tree = (await parser).parse(script);
  const out: ScriptWords = { commands: [], defines: [], cds: [] };
  if (tree) {
    visit(tree.rootNode, out);
    tree.delete();
  }
  return out;
}
