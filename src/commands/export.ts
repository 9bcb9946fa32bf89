/**
 * `stepgate export --ssm command|automation FILE [-o OUT.json|OUT.yaml]`: the runbook as an
 * SSM document, validated, on stdout or in a file. Nothing touches AWS.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { formatDiagnostic, lintRunbook } from '../runbooks/index.js';
import type { Runbook } from '../runbooks/model.js';
import { exportAutomationDocument, exportCommandDocument, formatProblem, validateDocument, MAX_DOCUMENT_BYTES, type ExportOptions, type ExportResult, type SsmDocument } from '../fleet/index.js';
import { createRunbookCache, primeRunbooks, readRunbookFileSync, whyUnreadable } from './load.js';
import { usageError } from './usage.js';
import { refuseUntrustedToSend } from './trust.js';
import { parseCommand } from './parse-command.js';
import { EXPORT } from './specs.js';
import { EXIT } from './exit-codes.js';

const USAGE = EXPORT.usage;

export interface ExportArgs {
  kind: 'command' | 'automation';
  file: string;
  out?: string;
  options: ExportOptions;
}


export function exportOptions(values: { 'param-store-prefix'?: string; 'param-store-type'?: string; approvers?: string; as?: string }): ExportOptions | string {
  const options: ExportOptions = {};
  const prefix = values['param-store-prefix'];
  if (prefix !== undefined) {
    if (!/^\/?[A-Za-z0-9_.\-/]+$/.test(prefix)) return `--param-store-prefix ${prefix}: a Parameter Store path is letters, digits, _ . - and /`;
    options.paramStorePrefix = prefix.startsWith('/') ? prefix : `/${prefix}`;
  }
  const type = values['param-store-type'];
  if (type !== undefined) {
    if (type !== 'SecureString' && type !== 'String') return `--param-store-type is SecureString or String, not ${type}`;
    options.paramStoreType = type;
  }
  if (values.approvers !== undefined) options.approvers = values.approvers.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (values.as !== undefined) options.user = values.as;
  return options;
}

/** A runbook read and linted for export, with the loader for the runbooks it links to. */
export interface LintedRunbook {
  /** As the operator named it. */
  file: string;
  runbook: Runbook;
  load: (file: string) => Runbook | undefined;
  sha256: string;
}

/** Reads and lints; errors go to stderr as file:line:col lines and give undefined. */
export function lintForExport(file: string): LintedRunbook | undefined {
  const loaded = readRunbookFileSync(file);
  const load = createRunbookCache();
  const errors = lintRunbook(loaded.runbook, { load, env: process.env, whyUnreadable }).filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
    process.stderr.write(`stepgate: ${file} has errors (see above); fix them before exporting\n`);
    return undefined;
  }
  return { file, runbook: loaded.runbook, load, sha256: loaded.sha256 };
}

/** Exports a linted runbook; problems go to stderr as file:line:col lines. */
export function exportLinted(kind: 'command' | 'automation', linted: LintedRunbook, options: ExportOptions): { document?: SsmDocument; sha256: string; code: number } {
  const { file, runbook, load, sha256 } = linted;
  const result: ExportResult = kind === 'command' ? exportCommandDocument(runbook, load, options) : exportAutomationDocument(runbook, load, options);
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`stepgate: cannot export ${file} as an SSM ${kind} document (see above)\n`);
    return { sha256, code: EXIT.usage };
  }
  return { document: result.document, sha256, code: EXIT.completed };
}

/** Reads, lints and exports; problems go to stderr as file:line:col lines. */
export function exportFile(kind: 'command' | 'automation', file: string, options: ExportOptions): { document?: SsmDocument; sha256: string; code: number } {
  const linted = lintForExport(file);
  return linted ? exportLinted(kind, linted, options) : { sha256: '', code: EXIT.usage };
}

export function serialize(document: SsmDocument, format: 'json' | 'yaml'): string {
  if (format === 'yaml') return stringify(document, { lineWidth: 0 });
  // Indented for a reader when it fits; SSM's 64 KB count includes the indentation, so a large
  // document goes compact rather than refused.
  const pretty = `${JSON.stringify(document, null, 2)}\n`;
  return Buffer.byteLength(pretty) <= MAX_DOCUMENT_BYTES ? pretty : `${JSON.stringify(document)}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(EXPORT, argv);
  if (typeof parsed === 'number') return parsed;
  const kind = parsed.values.ssm;
  if (kind !== 'command' && kind !== 'automation') return usageError(kind === undefined ? 'which document? --ssm command or --ssm automation' : `--ssm is command or automation, not ${kind}`, USAGE);
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) return usageError('export takes exactly one runbook file', USAGE);
  const options = exportOptions(parsed.values);
  if (typeof options === 'string') return usageError(options, USAGE);
  const out = parsed.values.out;
  const format = out !== undefined && /\.ya?ml$/i.test(out) ? 'yaml' : 'json';
  if (out !== undefined && !/\.(json|ya?ml)$/i.test(out)) return usageError(`-o ${out}: name the file .json, .yaml or .yml (the format follows the name)`, USAGE);
  refuseUntrustedToSend('export', file);
  await primeRunbooks([file]);
  const exported = exportFile(kind, file, options);
  if (!exported.document) return exported.code;
  const text = serialize(exported.document, format);
  // The 64 KB limit is on the content as uploaded, in its format.
  const errors = validateDocument(exported.document, kind, text);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`stepgate: ${file}: ${e}\n`);
    return EXIT.usage;
  }
  if (out === undefined) process.stdout.write(text);
  else {
    writeFileSync(out, text);
    process.stderr.write(`stepgate: wrote the ${kind} document for ${file} to ${out} (${Buffer.byteLength(text)} bytes, ${exported.document.mainSteps.length} steps)\n`);
  }
  return EXIT.completed;
}
