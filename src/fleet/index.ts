/** The fleet room's pure half: runbooks to SSM documents, and their validation. */
export { exportCommandDocument, exportAutomationDocument, type DocumentKind, type ExportOptions, type ExportResult, type SsmDocument } from './documents.js';
export { formatProblem, type ExportProblem } from './flow.js';
export { validateDocument, MAX_DOCUMENT_BYTES } from './validate.js';
