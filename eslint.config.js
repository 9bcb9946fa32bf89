// Type-aware checks the compiler does not make: a promise nobody awaits or catches turns an
// operator's key press into an unhandled rejection (Ink exits) or a step that silently never
// ran; a switch that misses a member of a union; a value import used only as a type. Only
// these rules; formatting and style are left to review.
import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  plugins: { '@typescript-eslint': tseslint.plugin },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    '@typescript-eslint/await-thenable': 'error',
    // A union that grows (a status, an event, a command) must be handled wherever it is switched on.
    '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    // Type-only imports are erased: the import graph (and the circle test) sees only what runs.
    '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
  },
});
