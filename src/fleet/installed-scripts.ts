/**
 * Automation documents carry each distinct step script once. Unrolled recovery paths repeat
 * the same steps once per gate and attempt (the omneuro deploy: 93 steps, 20 distinct
 * scripts), and a document is at most 64 KB; so the execution's first step installs every
 * script, gzip'd and base64-encoded, under /var/lib/stepgate/ssm/<hash>/ (root, 0700,
 * written to a temporary directory and renamed into place, so a reader never sees half of
 * it; the hash names the content, so executions of other versions never meet), together
 * with one helper, run.sh, that runs a script as its user in a login shell. Each later step
 * binds the document's parameters and calls the helper: the graph and every step's name and
 * jump stay as they were.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sq } from './shell-text.js';
import { READ_VALUES, VALUE_END, valueLines, type VarBinding } from './step-shell.js';

export const INSTALL_ROOT = '/var/lib/stepgate/ssm';
export const INSTALL_STEP = 'stepgate_install_scripts';

/**
 * run.sh USER N NAME...: reads the values of the NAMEs from stdin (valueLines: the step's
 * parameters, as data) and exports them, then runs script N.bash as USER (empty: as root) in a login shell, stdin closed.
 */
const RUN_SH = `#!/bin/sh
# stepgate: runs step script $2 of this document as user $1 in a login shell
sg_user=$1 sg_file="$(dirname "$0")/$2.bash"
shift 2
${READ_VALUES}sg_script=$(cat "$sg_file") || { echo "stepgate: cannot read $sg_file: this execution's first step (${INSTALL_STEP}) installs it" >&2; exit 1; }
if [ -z "$sg_user" ] || [ "$(id -un)" = "$sg_user" ]; then exec bash -l -c "$sg_script" stepgate-step </dev/null; fi
exec runuser -u "$sg_user" -- bash -l -c "$sg_script" stepgate-step </dev/null
`;

/** A path we chose (letters, digits, / . _ -) as is; anything else quoted. */
function sqPath(path: string): string {
  return /^[A-Za-z0-9/._-]+$/.test(path) ? path : sq(path);
}

function packed(text: string): string {
  return gzipSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');
}

export class ScriptTable {
  private readonly scripts: string[] = [];
  private readonly index = new Map<string, number>();

  /** `root`: where instances keep installed scripts (INSTALL_ROOT; another in tests). */
  constructor(private readonly root: string = INSTALL_ROOT) {}

  /** The number of `bash` in the table (added when new). */
  add(bash: string): number {
    const known = this.index.get(bash);
    if (known !== undefined) return known;
    this.scripts.push(bash);
    this.index.set(bash, this.scripts.length);
    return this.scripts.length;
  }

  size(): number {
    return this.scripts.length;
  }

  /** Where this table's scripts live on the instance: named by their content. */
  dir(): string {
    const hash = createHash('sha256').update(RUN_SH);
    for (const s of this.scripts) hash.update(`\0${s}`);
    return `${this.root}/${hash.digest('hex').slice(0, 12)}`;
  }

  /** The commands of the install step. */
  installLines(): string[] {
    const dir = this.dir();
    const files: Array<[string, string]> = [['run.sh', RUN_SH], ...this.scripts.map((text, i): [string, string] => [`${i + 1}.bash`, text])];
    // One gzip stream for all files (they share most of their text): a sh script of here-documents
    // whose end marker no line of any file is.
    let end = 'STEPGATE_FILE_END';
    while (files.some(([, text]) => text.split('\n').includes(end))) end += '_';
    const archive = files.map(([name, text]) => `cat > "$1/${name}" <<'${end}'\n${text.endsWith('\n') ? text : `${text}\n`}${end}\n`).join('');
    return [
      '#!/bin/sh',
      `# stepgate: installs this document's ${this.scripts.length} step scripts (each carried once) in ${dir}`,
      'set -e',
      'umask 077',
      `mkdir -p ${sqPath(this.root)}`,
      `if [ -r ${dir}/run.sh ]; then echo 'stepgate: scripts already installed in ${dir}'; exit 0; fi`,
      `t=$(mktemp -d ${sqPath(this.root)}/.install.XXXXXX)`,
      `printf '%s' '${packed(archive)}' | base64 -d | gzip -dc | sh -s "$t"`,
      // Another execution on this instance may have installed the same content meanwhile.
      `mv -T "$t" ${dir} 2>/dev/null || rm -rf "$t"`,
      `[ -r ${dir}/run.sh ] || { echo 'stepgate: cannot install the step scripts in ${dir}' >&2; exit 1; }`,
      `echo 'stepgate: ${this.scripts.length} step scripts installed in ${dir}'`,
    ];
  }
}

/**
 * The commands of one step: run.sh with the step's script, exec'd, and the document's values
 * in a quoted here-document on its stdin (valueLines: SSM writes them there, nothing in them is
 * expanded), which run.sh reads and exports. Nothing follows the exec, so a value that ends
 * the here-document early leaves nothing the root shell would run.
 */
export function callLines(dir: string, script: number, user: string | undefined, vars: VarBinding[]): string[] {
  const call = `exec sh ${dir}/run.sh ${sq(user ?? '')} ${script}`;
  if (vars.length === 0) return [`${call} </dev/null`];
  return [`${call} ${vars.map((v) => v.name).join(' ')} <<'${VALUE_END}'`, ...valueLines(vars)];
}
