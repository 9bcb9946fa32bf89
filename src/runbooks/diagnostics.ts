import type { Diagnostic, DiagnosticCode, Position, Severity } from './model.js';
import { compareText } from './text-order.js';

/** Collects diagnostics for one file; positions are 1-based. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  add(severity: Severity, code: DiagnosticCode, at: Position, message: string): void {
    this.items.push({
      file: this.file,
      line: Math.max(1, at.line),
      column: Math.max(1, at.column),
      severity,
      code,
      message,
    });
  }
  error(code: DiagnosticCode, at: Position, message: string): void {
    this.add('error', code, at, message);
  }
  warn(code: DiagnosticCode, at: Position, message: string): void {
    this.add('warning', code, at, message);
  }
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** `file:line:col: severity code: message`, like a compiler. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`;
}
