/**
 * The runbook with nothing in it: what a file that could not be read or parsed stands as. Kept
 * apart from the parser so that a command can name one without loading micromark and YAML.
 */
import type { FrontMatter, Runbook } from './model.js';

export function emptyFrontMatter(): FrontMatter {
  return { env: {}, vars: [], before: [], after: [], rollback: false };
}

/** The file's name without `.md`: the title of a runbook that has no heading or front matter title. */
export function titleFromFile(file: string): string {
  const name = file.split('/').pop() ?? file;
  return name.replace(/\.md$/i, '');
}

export function emptyRunbook(file: string, frontMatter: FrontMatter = emptyFrontMatter()): Runbook {
  return {
    file,
    title: frontMatter.title ?? titleFromFile(file),
    frontMatter,
    sections: [],
    steps: [],
    snippets: [],
    crossRefs: [],
    diagnostics: [],
  };
}
