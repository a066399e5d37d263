#!/usr/bin/env node
/*
 * The one entry point behind `npm start` and `npm test`.
 *
 * A fresh machine may have only Node.js (any version from 20 up) and npm. This script gets what the
 * repository needs by itself, and skips each step that is already done:
 *   1. Node 22 (when the running node is not 22 or 24): the `node-<platform>-<arch>@22` package from
 *      the npm registry, installed into .tools/node. That package ships the C headers too, so native
 *      modules (better-sqlite3) compile without downloading anything else.
 *   2. yarn: the release kept in .yarn/releases (yarnPath in .yarnrc.yml), run with that node.
 *   3. The install: `yarn install` (frozen lockfile under CI), skipped while the lockfile, the
 *      workspace manifests and the node version are unchanged since the last install.
 * Then it runs the command.
 *
 * Written in plain CommonJS with no dependencies so that it runs on any Node.js from 20 up.
 */
'use strict';

const { spawnSync, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const NODE_MAJOR = '22';
const SUPPORTED_MAJORS = ['22', '24'];

function log(message) {
  process.stderr.write(`[model-ops] ${message}\n`);
}

function fail(message) {
  log(`error: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) {
    fail(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  }
  return result.status ?? 1;
}

/** Returns the node binary to use, and the folder with its C headers when we installed it. */
function ensureNode() {
  const major = process.versions.node.split('.')[0];
  if (SUPPORTED_MAJORS.includes(major)) {
    // Native modules compile against the running node's own headers when it ships them, so
    // node-gyp does not try to download them (which fails without internet access).
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    const hasHeaders = fs.existsSync(
      path.join(prefix, 'include', 'node', 'node.h'),
    );
    return {
      nodeBin: process.execPath,
      nodeDir: hasHeaders ? prefix : undefined,
    };
  }
  const pkg = `node-${process.platform}-${process.arch}`;
  const toolsDir = path.join(root, '.tools', 'node');
  const pkgDir = path.join(toolsDir, 'node_modules', pkg);
  const nodeBin = path.join(pkgDir, 'bin', 'node');
  if (!fs.existsSync(nodeBin)) {
    log(
      `node ${process.versions.node} found; installing Node ${NODE_MAJOR} (${pkg}) into .tools/node`,
    );
    fs.mkdirSync(toolsDir, { recursive: true });
    fs.writeFileSync(
      path.join(toolsDir, 'package.json'),
      `${JSON.stringify(
        { private: true, dependencies: { [pkg]: NODE_MAJOR } },
        null,
        2,
      )}\n`,
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const status = run(
      npm,
      ['install', '--no-audit', '--no-fund', '--ignore-scripts'],
      {
        cwd: toolsDir,
      },
    );
    if (status !== 0 || !fs.existsSync(nodeBin)) {
      fail(`could not install ${pkg}@${NODE_MAJOR} from the npm registry`);
    }
  }
  return { nodeBin, nodeDir: pkgDir };
}

function yarnRelease() {
  const rc = fs.readFileSync(path.join(root, '.yarnrc.yml'), 'utf8');
  const match = rc.match(/^yarnPath:\s*(.+)$/m);
  if (!match) fail('.yarnrc.yml has no yarnPath');
  return path.join(root, match[1].trim());
}

function workspaceManifests() {
  const files = [path.join(root, 'package.json')];
  for (const dir of ['packages', 'plugins', 'examples']) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base).sort()) {
      const manifest = path.join(base, name, 'package.json');
      if (fs.existsSync(manifest)) files.push(manifest);
    }
  }
  return files;
}

function installFingerprint(nodeBin) {
  const hash = crypto.createHash('sha256');
  const version = spawnSync(nodeBin, ['--version'], {
    encoding: 'utf8',
  }).stdout.trim();
  hash.update(`node ${version}\n`);
  for (const file of [path.join(root, 'yarn.lock'), ...workspaceManifests()]) {
    hash.update(`${path.relative(root, file)}\n`);
    if (fs.existsSync(file)) hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

function buildEnv({ nodeBin, nodeDir }) {
  const env = { ...process.env };
  const binDirs = [
    path.dirname(nodeBin),
    path.join(root, 'node_modules', '.bin'),
  ];
  env.PATH = [...binDirs, env.PATH ?? ''].join(path.delimiter);
  if (nodeDir) {
    // node-gyp builds native modules against the headers of the node that runs them (an
    // npm_config_nodedir from npm's config may name another version's), never downloading any.
    env.npm_config_nodedir = nodeDir;
  }
  return env;
}

function ensureInstall(ctx, env) {
  const stampFile = path.join(root, 'node_modules', '.model-ops-install-stamp');
  const fingerprint = installFingerprint(ctx.nodeBin);
  if (
    fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8') === fingerprint
  ) {
    return;
  }
  const args = [yarnRelease(), 'install'];
  if (process.env.CI) args.push('--immutable');
  log(`installing dependencies (yarn ${args.slice(1).join(' ')})`);
  const status = run(ctx.nodeBin, args, { cwd: root, env });
  if (status !== 0) fail('yarn install failed');
  fs.writeFileSync(stampFile, fingerprint);
}

function yarn(ctx, env, args) {
  return run(ctx.nodeBin, [yarnRelease(), ...args], { cwd: root, env });
}

/**
 * The environment of the unit tests. Database tests run on SQLite always, and on PostgreSQL when
 * BACKSTAGE_TEST_DATABASE_POSTGRES<n>_CONNECTION_STRING names a server. Without a working Docker,
 * Backstage's TestDatabases must not try to start PostgreSQL containers, so that is switched off.
 */
function testEnv(env) {
  const result = { ...env, CI: env.CI || 'true' };
  if (result.BACKSTAGE_TEST_DISABLE_DOCKER === undefined) {
    const docker = spawnSync('docker', ['info'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    if (docker.status !== 0) {
      log(
        'no working Docker: database tests run on SQLite, and on PostgreSQL only where a connection string is set',
      );
      result.BACKSTAGE_TEST_DISABLE_DOCKER = '1';
    }
  }
  return result;
}

function findChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ].filter(Boolean);
  return candidates.find(candidate => fs.existsSync(candidate));
}

function runE2e(ctx, env, extraArgs = []) {
  const chromium = findChromium();
  if (!chromium) {
    const message =
      'no Chromium found for the browser tests (install Debian\'s "chromium" or set CHROMIUM_PATH)';
    if (process.env.CI) fail(message);
    log(`${message}; skipping them`);
    return 0;
  }
  return run(ctx.nodeBin, [path.join(root, 'e2e', 'run.mjs'), ...extraArgs], {
    cwd: root,
    env: { ...env, CHROMIUM_PATH: chromium },
  });
}

/**
 * The crash suite (plugins/model-ops-backend/src/crash): real backends killed with SIGKILL. Run
 * on its own, after the unit tests, since its recovery bounds are about time and another Jest
 * worker beside it would only make them noisy.
 */
function runCrashSuite(ctx, env, extraArgs = []) {
  return yarn(ctx, testEnv(env), [
    'workspace',
    '@model-ops/plugin-model-ops-backend',
    'backstage-cli',
    'package',
    'test',
    'src/crash/',
    ...extraArgs,
  ]);
}

/**
 * Every test, one phase after the other, each run whatever the one before gave, so that one
 * run reports every failing phase: the unit tests (SQLite, and PostgreSQL where a connection
 * string is set), the crash suite, the browser tests, and the installation into a freshly
 * scaffolded Backstage app (`yarn test:install`, which reads the npm registry). `--no-install`
 * leaves the last out.
 *
 * The installation's first steps (build and pack the packages, scaffold the app, upgrade it,
 * add the plugins, build its frontend: about four minutes, mostly the registry and the disk)
 * run beside the browser phase; before it starts its own backend, which deploys on the same
 * loopback ports, it waits for the file this function writes when the browser phase ends. The
 * crash suite and the unit tests run alone: their bounds are about time.
 */
async function runAllTests(ctx, env, args) {
  const withInstall = !args.includes('--no-install');
  const rest = args.filter(arg => arg !== '--no-install');
  const results = [];
  const phase = (name, work) => {
    const started = Date.now();
    log(`tests: ${name}`);
    const status = work();
    results.push({
      name,
      status,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  };
  // backstage-cli watches unless CI is set; a one-shot run is what this command promises.
  phase('unit', () =>
    yarn(ctx, testEnv(env), [
      'test:unit',
      ...rest,
      '--testPathIgnorePatterns',
      '/node_modules/',
      '/src/crash/',
    ]),
  );
  phase('crash', () => runCrashSuite(ctx, env));

  let install;
  const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-gate-'));
  const gate = path.join(gateDir, 'browser-tests-ended');
  if (withInstall) {
    log('tests: install (its first steps beside the browser tests)');
    const started = Date.now();
    const child = spawn(
      ctx.nodeBin,
      [path.join(root, 'scripts', 'test-install', 'run.mjs')],
      {
        cwd: root,
        env: { ...env, MODEL_OPS_INSTALL_GATE: gate },
        stdio: 'inherit',
      },
    );
    install = new Promise(resolve => {
      child.on('error', () => resolve(1));
      child.on('exit', code => resolve(code ?? 1));
    }).then(status => ({
      name: 'install',
      status,
      seconds: Math.round((Date.now() - started) / 1000),
    }));
  }
  try {
    phase('browser', () => runE2e(ctx, env));
  } finally {
    fs.writeFileSync(gate, new Date().toISOString());
  }
  if (install) results.push(await install);
  fs.rmSync(gateDir, { recursive: true, force: true });
  log(
    `tests: ${results
      .map(
        r =>
          `${r.name} ${r.status === 0 ? 'passed' : 'FAILED'} (${r.seconds} s)`,
      )
      .join(', ')}`,
  );
  return results.some(r => r.status !== 0) ? 1 : 0;
}

function main() {
  const [command = 'start', ...rest] = process.argv.slice(2);
  const ctx = ensureNode();
  const env = buildEnv(ctx);
  ensureInstall(ctx, env);

  let status = 0;
  switch (command) {
    case 'setup':
      break;
    case 'start':
      // Long-running: hand the terminal to the portal and pass signals through. Beside it the
      // demo traffic generator sends day-shaped traffic to the demo models' routers (it waits
      // for them to come up), so the Alerts tab has live values; --no-traffic leaves it out.
      {
        const withTraffic = !rest.includes('--no-traffic');
        const args = rest.filter(arg => arg !== '--no-traffic');
        const child = spawn(ctx.nodeBin, [yarnRelease(), 'dev', ...args], {
          cwd: root,
          env,
          stdio: 'inherit',
        });
        const traffic = withTraffic
          ? spawn(
              ctx.nodeBin,
              [
                path.join(
                  root,
                  'examples',
                  'traffic-generator',
                  'src',
                  'main.ts',
                ),
                '--target',
                'sentiment-classifier=http://127.0.0.1:7101',
                '--target',
                'fraud-detector=http://127.0.0.1:7102',
                '--target',
                'churn-predictor=http://127.0.0.1:7103',
                '--burst',
                'churn-predictor',
                '--duration',
                String(7 * 24 * 3600),
              ],
              { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
            )
          : undefined;
        for (const signal of ['SIGINT', 'SIGTERM']) {
          process.on(signal, () => {
            traffic?.kill(signal);
            child.kill(signal);
          });
        }
        child.on('exit', code => {
          traffic?.kill('SIGTERM');
          process.exit(code ?? 0);
        });
      }
      return;
    case 'test':
      runAllTests(ctx, env, rest).then(code => process.exit(code));
      return;
    case 'crash':
      status = runCrashSuite(ctx, env, rest);
      break;
    case 'e2e':
      status = runE2e(ctx, env, rest);
      break;
    case 'screenshots':
      status = runE2e(ctx, env, ['--screenshots', ...rest]);
      break;
    default:
      fail(
        `unknown command "${command}" (start, test, crash, e2e, screenshots, setup)`,
      );
  }
  process.exit(status);
}

main();
