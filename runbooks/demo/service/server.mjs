// The demo's stand-in for a production service: a tiny HTTP server in plain Node (no
// dependencies) that a runbook installs, starts, health-checks, stops and rolls back.
//
// `node server.mjs --background` starts it as a daemon in its own session and returns once it
// listens (exit 0) or has died (exit 1, with the end of its log). A daemon of its own because
// Node resets inherited signal dispositions (so `nohup` does not protect it) and a child left in
// the runbook shell's process group would die with the next Ctrl-C or the pty's hang-up.
//
// It runs from a release directory (a copy of this folder plus one `release.json` from
// `releases/<version>/`). Environment:
//   DEMO_HOME  state directory: service.pid, service.port and service.log live there (required)
//   DEMO_PORT  port on 127.0.0.1 (default 18080); 0 picks a free one, written to service.port
//   DEMO_UNHEALTHY=1  a release whose release.json has "breaksWhen": "DEMO_UNHEALTHY" answers
//              its health routes with 503, the way a bad deploy would
//   DEMO_IDLE_EXIT  seconds without a request after which the server exits (default 900), so a
//              demo that is abandoned half-way never leaves a process behind for long
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, openSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const home = process.env.DEMO_HOME;
if (!home) {
  console.error('server.mjs: DEMO_HOME is not set (the runbook exports it in its first step)');
  process.exit(2);
}

if (process.argv.includes('--background')) {
  await startInBackground(home);
}

const release = JSON.parse(readFileSync(join(here, 'release.json'), 'utf8'));
const port = Number(process.env.DEMO_PORT ?? '18080');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server.mjs: DEMO_PORT=${process.env.DEMO_PORT} is not a port number`);
  process.exit(2);
}
const broken = typeof release.breaksWhen === 'string' && process.env[release.breaksWhen] === '1';
const idleMs = Number(process.env.DEMO_IDLE_EXIT ?? '900') * 1000;
const startedAt = new Date().toISOString();

function log(message) {
  console.log(`${new Date().toISOString()} demo-service ${release.version}: ${message}`);
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

let idleTimer;
function armIdleTimer() {
  clearTimeout(idleTimer);
  if (idleMs > 0) idleTimer = setTimeout(() => shutdown('idle timeout'), idleMs).unref();
}

const server = createServer((req, res) => {
  armIdleTimer();
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/healthz':
    case '/api/health':
      if (broken) {
        log(`${path} -> 503 (${release.breaksWhen}=1)`);
        reply(res, 503, { status: 'failing', version: release.version, reason: release.failure });
      } else {
        reply(res, 200, { status: 'ok', version: release.version });
      }
      return;
    case '/version':
      reply(res, 200, { version: release.version, startedAt, pid: process.pid });
      return;
    default:
      reply(res, 404, { error: `no route ${path}` });
  }
});

function shutdown(why) {
  log(`stopping (${why})`);
  server.close();
  // Only remove the pid file if it is still ours: a newer instance may have replaced it.
  try {
    if (readFileSync(join(home, 'service.pid'), 'utf8').trim() === String(process.pid)) {
      rmSync(join(home, 'service.pid'), { force: true });
      rmSync(join(home, 'service.port'), { force: true });
    }
  } catch {
    // Already gone: nothing to tidy.
  }
  process.exit(0);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (error) => {
  console.error(`server.mjs: cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  writeFileSync(join(home, 'service.pid'), `${process.pid}\n`);
  writeFileSync(join(home, 'service.port'), `${actual}\n`);
  log(`listening on http://127.0.0.1:${actual}${broken ? ' (health routes failing)' : ''}`);
  armIdleTimer();
});

function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function logTail(file, lines) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startInBackground(dir) {
  const pidFile = join(dir, 'service.pid');
  const portFile = join(dir, 'service.port');
  const logFile = join(dir, 'service.log');
  const running = readPid(pidFile);
  if (running !== undefined && isAlive(running)) {
    console.error(`already running as pid ${running}; stop it first (scripts/stop.sh)`);
    process.exit(1);
  }
  rmSync(portFile, { force: true });
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  const deadline = Date.now() + 10_000;
  while (!existsSync(portFile)) {
    if (exited) {
      console.error(`the service exited while starting; end of ${logFile}:`);
      console.error(logTail(logFile, 5));
      process.exit(1);
    }
    if (Date.now() > deadline) {
      console.error(`the service (pid ${child.pid}) is not listening after 10s; see ${logFile}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = readFileSync(portFile, 'utf8').trim();
  console.log(`started ${basenameOf(here)} as pid ${child.pid}, listening on http://127.0.0.1:${port}`);
  process.exit(0);
}

function basenameOf(path) {
  return path.split('/').filter(Boolean).pop() ?? path;
}
