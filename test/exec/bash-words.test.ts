/**
 * What a step runs, read with the real bash grammar: the command names preflight resolves on
 * the host, through pipelines, substitutions, bodies and the wrappers that run a command given
 * as their arguments (sudo, timeout, flock, xargs, nice ...).
 */
import { describe, expect, it } from 'vitest';
import { scriptWords } from '../../src/exec/bash-words.js';

async function names(script: string): Promise<string[]> {
  return (await scriptWords(script)).commands.filter((c) => c.how === 'literal').map((c) => c.name);
}

describe('scriptWords', () => {
  it('finds commands in pipelines, lists, substitutions and compound bodies', async () => {
    expect(await names('git pull --ff-only && chmod +x scripts/*.sh | tee log\nfor u in a b; do curl -fsS "$u"; done\necho "$(date +%s)"')).toEqual(['git', 'chmod', 'tee', 'curl', 'echo', 'date']);
  });

  it('sees through wrappers, their options and the arguments before the command', async () => {
    expect(await names('sudo -u ubuntu -E pm2 restart all')).toEqual(['sudo', 'pm2']);
    expect(await names('sudo -- systemctl restart app')).toEqual(['sudo', 'systemctl']);
    expect(await names('timeout 30 curl -fsS http://localhost/healthz')).toEqual(['timeout', 'curl']);
    expect(await names('timeout -s KILL 5 ./scripts/wait.sh')).toEqual(['timeout', './scripts/wait.sh']);
    expect(await names('flock /run/deploy.lock ./scripts/04-redeploy.sh')).toEqual(['flock', './scripts/04-redeploy.sh']);
    expect(await names('git diff --name-only -z | xargs -0 -r -n 1 git checkout --')).toEqual(['git', 'xargs', 'git']);
    expect(await names('nice -n 10 ionice -c 3 tar czf out.tgz dir')).toEqual(['nice', 'ionice', 'tar']);
    expect(await names('env -u HOME A=1 B=2 node srv.js')).toEqual(['env', 'node']);
    expect(await names('nohup setsid node srv.js >/dev/null 2>&1 &')).toEqual(['nohup', 'setsid', 'node']);
  });

  it('marks what it cannot name: a command in a variable, eval, a wrapper with nothing to run', async () => {
    const words = await scriptWords('"$REDEPLOY_SCRIPT"\neval "$CMD"\nsudo -u ubuntu');
    expect(words.commands.map((c) => [c.how, c.name])).toEqual([
      ['dynamic', '"$REDEPLOY_SCRIPT"'],
      ['literal', 'eval'],
      ['eval', '"$CMD"'],
      ['literal', 'sudo'],
    ]);
  });

  it('collects functions, aliases and cds, and survives a script that does not parse', async () => {
    const words = await scriptWords('deploy() { ./run.sh; }\nalias ll="ls -l"\ncd ~/omneuro\ncd "$DIR"');
    expect(words.defines).toEqual(['deploy', 'll']);
    expect(words.cds.map((c) => c.dir)).toEqual(['~/omneuro', undefined]);
    await expect(scriptWords('if true; then\n  echo')).resolves.toBeDefined();
  });
});
