// Preloaded with `node --import`: records every package the process resolves, so a test can
// prove that `lint` and `plan` never load Ink or React.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        if (process.env.TRACE_IMPORTS_FILE) appendFileSync(process.env.TRACE_IMPORTS_FILE, specifier + '\\n');
        return next(specifier, context);
      }
    `),
);
