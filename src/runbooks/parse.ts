/**
 * Markdown -> Runbook. Uses micromark (CommonMark + GFM + front matter) for the syntax; this
 * module only walks the tree in document order and gives it runbook meaning.
 * It never throws: anything wrong with the input becomes a diagnostic.
 */
import GithubSlugger from 'github-slugger';
import type { Code, Definition, Heading, Html, ListItem, Nodes, Paragraph, Root } from 'mdast';
import { toString } from 'mdast-util-to-string';
import { emptyAttributes, hasAttributes, parseAttributes } from './attributes.js';
import { findBoundsViolation, MAX_RUNBOOK_CHARS } from './bounds.js';
import { parseChecks } from './checks.js';
import { DiagnosticSink, compareDiagnostics } from './diagnostics.js';
import { emptyFrontMatter, emptyRunbook, titleFromFile } from './empty.js';
import { parseFrontMatter } from './front-matter.js';
import { isMarkdownFileName, parseLinkTarget } from './links.js';
import { parseMarkdown } from './markdown.js';
import { nearMiss } from './near-miss.js';
import type {
  CheckSpec,
  CrossRef,
  FrontMatter,
  ManualStep,
  Position,
  Runbook,
  Section,
  Snippet,
  Step,
  StepAttributes,
} from './model.js';

export { MAX_RUNBOOK_CHARS } from './bounds.js';

export const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell', 'zsh', 'console', 'shell-session', 'shellsession']);
export const CHECK_LANGUAGES = new Set(['check', 'health']);
/** A check's target key at the start of a line (`http: ...`, `- tcp: ...`): a check's YAML. */
const LOOKS_LIKE_CHECK = /^(?:- )?(?:http|tcp|run): \S/m;
/** Real languages one letter from a runnable one (`ash` ~ `sh`): shown, and not a typo. */
const OTHER_SHELLS = new Set(['ash', 'csh', 'dash', 'fish', 'ksh', 'mksh', 'rsh', 'ssh', 'tcsh']);

export function parseRunbook(text: string, file: string): Runbook {
  const sink = new DiagnosticSink(file);
  let runbook: Runbook;
  let bound: ReturnType<typeof findBoundsViolation>;
  if (text.includes('\u0000')) {
    runbook = emptyRunbook(file);
    sink.error('binary-file', { line: 1, column: 1 }, 'this is a binary file, not a markdown runbook');
  } else if (text.length > MAX_RUNBOOK_CHARS) {
    runbook = emptyRunbook(file);
    sink.error('file-too-large', { line: 1, column: 1 }, `runbook is ${text.length} characters; the limit is ${MAX_RUNBOOK_CHARS}: split it into linked runbooks`);
  } else if (text.trim() === '') {
    runbook = emptyRunbook(file);
    sink.warn('empty-file', { line: 1, column: 1 }, 'runbook is empty');
  } else if ((bound = findBoundsViolation(text)) !== undefined) {
    runbook = emptyRunbook(file);
    sink.error(bound.code, bound.at, bound.message);
  } else {
    try {
      // A runbook saved on Windows: CommonMark reads CRLF as a line ending, but keeps the CR
      // inside a code block, and bash would run `true\r` (a trial's step "passed" with
      // `$'\r': command not found` and created `file\r`). Lines are numbered as before. A lone
      // CR is left as written: in an LF file it is more likely meant (`printf 'a<CR>b'`).
      runbook = new Walker(text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text, file, sink).walk();
    } catch (error) {
      // A parser bug must not take down the operator's session: report it where it can be seen.
      runbook = emptyRunbook(file);
      sink.error('read-error', { line: 1, column: 1 }, `internal parser error: ${(error as Error).message}`);
    }
  }
  runbook.diagnostics = sink.items.sort(compareDiagnostics);
  return runbook;
}

function startOf(node: { position?: { start: { line: number; column: number } } | undefined }): Position {
  return { line: node.position?.start.line ?? 1, column: node.position?.start.column ?? 1 };
}

class Walker {
  private readonly lines: string[];
  private readonly slugger = new GithubSlugger();
  private readonly definitions = new Map<string, string>();
  private readonly runbook: Runbook;
  private section: Section | undefined;
  private prose: { text: string; refs: CrossRef[] } | undefined;
  private readonly stepsPerSection = new Map<string, number>();
  private readonly ids = new Set<string>();
  private readonly names = new Map<string, Position>();
  private firstH1: string | undefined;
  private leadParagraph: string | undefined;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly sink: DiagnosticSink,
  ) {
    // Line endings as micromark counts them, so node positions index this array.
    this.lines = text.split(/\r\n|\r|\n/);
    this.runbook = emptyRunbook(file);
  }

  walk(): Runbook {
    const tree: Root = parseMarkdown(this.text);
    this.collectDefinitions(tree);
    for (const node of tree.children) this.visit(node, undefined, 0);
    const fm = this.runbook.frontMatter;
    this.runbook.title = fm.title ?? this.firstH1 ?? titleFromFile(this.file);
    const description = fm.description ?? this.leadParagraph;
    if (description !== undefined) this.runbook.description = description;
    return this.runbook;
  }

  /** `[label]: url` counts wherever it stands (in a list, in a quote); the first one of a label wins, as in CommonMark. */
  private collectDefinitions(node: Nodes): void {
    if (node.type === 'definition') {
      const key = (node as Definition).identifier.toLowerCase();
      if (!this.definitions.has(key)) this.definitions.set(key, (node as Definition).url);
    } else if ('children' in node) {
      for (const child of node.children) this.collectDefinitions(child);
    }
  }

  private visit(node: Nodes, taskParent: ManualStep | undefined, taskDepth: number): void {
    switch (node.type) {
      case 'yaml':
        if (node.position?.start.line === 1) this.runbook.frontMatter = parseFrontMatter(node.value, 1, this.sink);
        return;
      case 'heading':
        this.heading(node);
        return;
      case 'paragraph':
        this.paragraph(node);
        return;
      case 'code':
        this.code(node);
        return;
      case 'html':
        this.html(node);
        return;
      case 'list':
        for (const item of node.children) this.listItem(item, taskParent, taskDepth);
        return;
      case 'blockquote':
        for (const child of node.children) this.visit(child, taskParent, taskDepth);
        return;
      case 'table':
        this.refsIn(node);
        return;
      default:
        return;
    }
  }

  private heading(node: Heading): void {
    const title = toString(node).trim();
    let parent: Section | undefined = this.section;
    while (parent && parent.depth >= node.depth) {
      const up: string | undefined = parent.parent;
      parent = up === undefined ? undefined : this.runbook.sections.find((s) => s.anchor === up);
    }
    const section: Section = {
      anchor: this.slugger.slug(title),
      title,
      depth: node.depth,
      position: startOf(node),
      crossRefs: [],
    };
    if (parent) section.parent = parent.anchor;
    this.runbook.sections.push(section);
    this.section = section;
    this.prose = undefined;
    if (node.depth === 1 && this.firstH1 === undefined) this.firstH1 = title;
    this.refsIn(node);
  }

  private paragraph(node: Paragraph): void {
    const text = toString(node).trim();
    this.prose = { text, refs: this.refsIn(node) };
    const beforeAnySection = this.runbook.sections.every((s) => s.depth === 1);
    if (this.leadParagraph === undefined && beforeAnySection && this.runbook.steps.length === 0 && text !== '')
      this.leadParagraph = text;
  }

  /** Links and `.md` code spans under `node`, recorded on the section and the runbook. */
  private refsIn(node: Nodes): CrossRef[] {
    const refs: CrossRef[] = [];
    const visit = (n: Nodes): void => {
      if (n.type === 'link' || n.type === 'linkReference') {
        const url = n.type === 'link' ? n.url : this.definitions.get(n.identifier.toLowerCase());
        const target = url === undefined ? undefined : parseLinkTarget(url, startOf(n));
        if (target) refs.push({ target, text: toString(n).trim(), via: 'link' });
        return;
      }
      if (n.type === 'inlineCode' && isMarkdownFileName(n.value)) {
        const target = parseLinkTarget(n.value, startOf(n));
        if (target) refs.push({ target, text: n.value, via: 'code' });
        return;
      }
      if ('children' in n) for (const child of n.children) visit(child as Nodes);
    };
    visit(node);
    this.section?.crossRefs.push(...refs);
    this.runbook.crossRefs.push(...refs);
    return refs;
  }

  private html(node: Html): void {
    const match = /^<!--\s*stepgate:\s*([\s\S]*?)-->\s*$/.exec(node.value.trim());
    if (!match) return;
    const at = startOf(node);
    const directive = (match[1] ?? '').trim();
    const recover = /^recover\s*=\s*(\S+)$/.exec(directive);
    if (!recover) {
      this.sink.error('unknown-attribute', at, `unknown stepgate directive "${directive}" (known: recover=TARGET)`);
      return;
    }
    const target = parseLinkTarget(recover[1] ?? '', at);
    if (!target) this.sink.error('bad-attribute', at, `recover=${recover[1] ?? ''}: want a link such as recovery.md#rollback`);
    else if (!this.section) this.sink.error('bad-attribute', at, 'a recover= directive belongs under a heading; use front matter "recovery:" for the whole runbook');
    else this.section.recover = target;
  }

  private listItem(item: ListItem, taskParent: ManualStep | undefined, taskDepth: number): void {
    if (item.checked === null || item.checked === undefined) {
      for (const child of item.children) this.visit(child, taskParent, taskDepth);
      return;
    }
    const first = item.children[0];
    const text = first && first.type === 'paragraph' ? toString(first).trim() : '';
    const refs = first ? this.refsIn(first) : [];
    const step: ManualStep = {
      kind: 'manual',
      id: this.stepId(undefined),
      index: this.runbook.steps.length,
      section: this.section?.anchor ?? '',
      description: text,
      position: startOf(item),
      crossRefs: refs,
      text,
      done: item.checked,
      depth: taskDepth,
    };
    if (taskParent) step.parent = taskParent.id;
    this.runbook.steps.push(step);
    this.prose = first && first.type === 'paragraph' ? { text, refs: [] } : undefined;
    for (const child of item.children.slice(first && first.type === 'paragraph' ? 1 : 0))
      this.visit(child, step, taskDepth + 1);
  }

  private code(node: Code): void {
    const at = startOf(node);
    const fenceLine = this.lines[at.line - 1] ?? '';
    const fence = /^\s*(?:>\s*)*(`{3,}|~{3,})/.exec(fenceLine);
    if (!fence) return; // indented code: shown, never run
    const lang = (node.lang ?? '').toLowerCase();
    const meta = node.meta ?? '';
    const runnable = SHELL_LANGUAGES.has(lang) || CHECK_LANGUAGES.has(lang);
    if (!this.closed(node, fence[1] ?? '```')) {
      this.sink.error(
        runnable ? 'unclosed-fence' : 'unclosed-fence',
        at,
        `code fence opened here is never closed, so the rest of the file is inside it: add a closing ${fence[1] ?? '```'}`,
      );
      if (runnable) return;
    }
    const metaColumn = Math.max(fenceLine.indexOf(meta, fence.index + (fence[1]?.length ?? 0)), 0) + 1;
    const metaAt = (offset: number): Position => ({ line: at.line, column: metaColumn + offset });
    if (!runnable) {
      // ```chek or ```bsh reads as a gate or a step but would only be shown: stop the run.
      const meant = lang.length >= 3 && !OTHER_SHELLS.has(lang) ? nearMiss(lang, [...SHELL_LANGUAGES, ...CHECK_LANGUAGES]) : undefined;
      if (meant !== undefined)
        this.sink.error('unknown-language', at, `a "${lang}" block is shown, never run: did you mean "${meant}"?`);
      else if ((lang === 'yaml' || lang === 'yml' || lang === '') && LOOKS_LIKE_CHECK.test(node.value))
        // A health check fenced as YAML (or fenced bare) gates nothing: the run goes on past it.
        this.sink.warn('unknown-language', at, `this ${lang === '' ? 'fence without a language' : `"${lang}" block`} reads like a health check (http:, tcp: or run:) but is only shown, never run: fence it as \`\`\`check to gate the run on it`);
      else if (hasAttributes(meta) || lang.startsWith('{'))
        this.sink.warn(
          'unknown-language',
          at,
          `fence attributes on a ${lang.startsWith('{') || lang === '' ? 'fence without a language' : `"${lang}" block`} have no effect: only bash, sh, shell, zsh, console and check blocks run`,
        );
      this.runbook.snippets.push({ lang, code: node.value, section: this.section?.anchor ?? '', position: at } satisfies Snippet);
      return;
    }
    const attrs: StepAttributes = meta === '' ? emptyAttributes() : parseAttributes(meta, this.sink, metaAt);
    const description = this.prose?.text ?? '';
    const refs = this.prose?.refs ?? [];
    this.prose = undefined;
    const base = {
      id: this.stepId(attrs.name, attrs.name === undefined ? undefined : metaAt(Math.max(0, meta.search(/\bname\b/)))),
      index: this.runbook.steps.length,
      section: this.section?.anchor ?? '',
      description,
      position: at,
      crossRefs: refs,
      attrs,
    };
    let step: Step;
    if (CHECK_LANGUAGES.has(lang)) {
      const defaults: { attempts?: number; backoffMs?: number; timeoutMs?: number } = {};
      if (attrs.retries !== undefined) defaults.attempts = attrs.retries;
      if (attrs.backoffMs !== undefined) defaults.backoffMs = attrs.backoffMs;
      if (attrs.timeoutMs !== undefined) defaults.timeoutMs = attrs.timeoutMs;
      const refused: CheckSpec[] = [];
      const checks = parseChecks(node.value, at.line + 1, at.column, this.sink, defaults, refused);
      step = { ...base, kind: 'check', checks, ...(refused.length > 0 ? { refused } : {}) };
    } else {
      step = { ...base, kind: 'command', lang, script: lang === 'console' || lang.startsWith('shell') && lang !== 'shell' ? consoleCommands(node.value) : node.value };
    }
    this.runbook.steps.push(step);
  }

  private closed(node: Code, fence: string): boolean {
    const end = node.position?.end.line ?? 0;
    const start = node.position?.start.line ?? 0;
    if (end <= start) return false;
    const last = (this.lines[end - 1] ?? '').replace(/^\s*(?:>\s*)*/, '');
    const char = fence[0] ?? '`';
    const run = /^(`+|~+)\s*$/.exec(last);
    return run !== null && run[1]?.[0] === char && (run[1]?.length ?? 0) >= fence.length;
  }

  /**
   * Names must be unique in a file. Unnamed steps are `<section>-<n>`, n counting every step in
   * the section, so an id says where the step is; a clash with a name gets a suffix.
   */
  private stepId(name: string | undefined, nameAt?: Position): string {
    const sectionKey = this.section?.anchor || 'step';
    const n = (this.stepsPerSection.get(sectionKey) ?? 0) + 1;
    this.stepsPerSection.set(sectionKey, n);
    if (name !== undefined) {
      const first = this.names.get(name);
      if (first) this.sink.error('duplicate-step-name', nameAt ?? { line: 1, column: 1 }, `step name "${name}" is already used at line ${first.line}`);
      else this.names.set(name, nameAt ?? { line: 1, column: 1 });
      if (!this.ids.has(name)) {
        this.ids.add(name);
        return name;
      }
    }
    let id = `${sectionKey}-${n}`;
    for (let suffix = 2; this.ids.has(id); suffix++) id = `${sectionKey}-${n}-${suffix}`;
    this.ids.add(id);
    return id;
  }
}

/** The commands of a `console` transcript: `$ ` lines, with `\` continuations. */
export function consoleCommands(body: string): string {
  const out: string[] = [];
  let continuing = false;
  for (const line of body.split('\n')) {
    if (continuing) {
      out.push(line);
      continuing = line.endsWith('\\');
      continue;
    }
    const match = /^\s*\$ ?(.*)$/.exec(line);
    if (match) {
      out.push(match[1] ?? '');
      continuing = (match[1] ?? '').endsWith('\\');
    }
  }
  return out.join('\n');
}
