// Preloaded with `node --import`: records the URL of every module the process loads, so a test
// can prove that `lint` and `plan` never load Ink or React (dist/ is bundled: the test maps each
// loaded file of dist/ to the sources in it with dist/bundle-inputs.json).
// TRACE_IMPORTS_FILE: one file for every process; TRACE_IMPORTS_DIR: one file per process,
// named by its pid (the TUI's launcher and the stepgate it starts inside tmux, apart).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        if (process.env.TRACE_IMPORTS_FILE) appendFileSync(process.env.TRACE_IMPORTS_FILE, resolved.url + '\\n');
        if (process.env.TRACE_IMPORTS_DIR) appendFileSync(process.env.TRACE_IMPORTS_DIR + '/' + process.pid + '.txt', resolved.url + '\\n');
        return resolved;
      }
    `),
);
