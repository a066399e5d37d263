/*
 * The crash suite's world: a throw-away PostgreSQL database, a temp folder with the local
 * runtime's shared state folder, a catalog file and generated model artifacts, and the backend
 * processes (real portal backends, see backendProcess.ts) started, watched and killed with
 * SIGKILL. Everything it starts it stops again in `close()`, model servers and routers included
 * (they run detached, in their own process groups, and outlive a killed backend).
 */
import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { findRepoRoot } from '../runtimes/local';

/** The color codes of the backend's pretty log format. */
// eslint-disable-next-line no-control-regex
const ANSI_COLOR = /\x1b\[[0-9;]*m/g;

// The suite runs from source only, never from a build.
// eslint-disable-next-line no-restricted-syntax
export const repoRoot = findRepoRoot(__dirname);
/** The plugin's tables live in this schema of the suite's database (pluginDivisionMode schema). */
export const SCHEMA = 'model-ops';
const TOKEN_SUBJECT = 'crash-suite';
const SOURCE_MODEL = path.join(
  repoRoot,
  'examples/models/sentiment-classifier',
);

export const sleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, ms));

/** Waits until `probe` answers something truthy, every `everyMs`, at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(everyMs);
  }
}

/** How the backends are tuned so that one run takes seconds. */
export interface SuiteSettings {
  /** The run lease and the switch lease. */
  leaseSeconds: number;
  pollIntervalSeconds: number;
  healthWatchSeconds: number;
  canarySteps: number[];
  canaryStepSeconds: number;
  /** The load through the model's router during each case. */
  rps: number;
  /**
   * Keeps every backend's local runtime from reading the shared state folder before it acts on
   * a model (see README.md): the reconcilers, the warm-color cooldown and monitoring, which
   * touch every model's runtime in the background, do not run.
   */
  isolateRuntime: boolean;
}

/** A schedule that does not come round while the suite runs. */
const NEVER = {
  frequency: { hours: 1 },
  timeout: { minutes: 5 },
  initialDelay: { hours: 1 },
};

/** One model of the suite: its catalog entity, strategy and generated artifacts. */
export interface SuiteModel {
  modelId: string;
  strategy: 'blue-green' | 'canary' | 'recreate';
  routerPort: number;
  artifacts: Record<string, { uri: string; sha256: string }>;
}

/** A backend child process. */
export class BackendProcess {
  /** Also its PostgreSQL application_name, which the freeze trigger goes by. */
  readonly name: string;
  readonly port: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly spawnedAt = performance.now();
  /** The pipeline worker's lease owner, from its `Deployment worker ... started` line. */
  workerOwner?: string;
  /** Milliseconds from the spawn until it served. */
  startMs?: number;
  killedAt?: number;
  private exitedFlag = false;

  constructor(options: {
    name: string;
    port: number;
    logFile: string;
    configFiles: string[];
  }) {
    this.name = options.name;
    this.port = options.port;
    this.logFile = options.logFile;
    const log = fs.openSync(options.logFile, 'a');
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('JEST_')) env[key] = value;
    }
    this.child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('sucrase/register/ts'),
        // eslint-disable-next-line no-restricted-syntax
        path.join(__dirname, 'backendProcess.ts'),
        ...options.configFiles.flatMap(file => ['--config', file]),
      ],
      {
        cwd: path.join(repoRoot, 'plugins/model-ops-backend'),
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          ...env,
          NODE_ENV: 'development',
          FORCE_COLOR: '0',
          NO_COLOR: '1',
        },
      },
    );
    fs.closeSync(log);
    this.exited = new Promise(resolve => {
      this.child.once('exit', () => {
        this.exitedFlag = true;
        resolve();
      });
      this.child.once('error', () => {
        this.exitedFlag = true;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.exitedFlag && this.killedAt === undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its log so far, without the logger's colors. */
  log(): string {
    try {
      // eslint-disable-next-line no-control-regex
      return fs.readFileSync(this.logFile, 'utf8').replace(ANSI_COLOR, '');
    } catch {
      return '';
    }
  }

  /** Resolves once the backend serves and its worker runs. */
  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${this.name} to start (log ${this.logFile})`,
      async () => {
        if (this.exitedFlag) {
          throw new Error(
            `${this.name} exited while starting:\n${this.log().slice(-3000)}`,
          );
        }
        const text = this.log();
        const owner = /Deployment worker (worker-[0-9a-f-]+) started/.exec(
          text,
        )?.[1];
        const started = /\{"event":"backend-started","ms":(\d+)\}/.exec(text);
        if (!owner || !started) return false;
        this.workerOwner = owner;
        this.startMs = Math.round(performance.now() - this.spawnedAt);
        return true;
      },
      timeoutMs,
      100,
    );
  }

  /** SIGKILL to its process group (the backend alone: its model servers run detached). */
  async kill(): Promise<void> {
    this.killedAt = performance.now();
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await Promise.race([this.exited, sleep(5000)]);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

const sha256 = (bytes: Buffer | string) =>
  crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * Writes versions 1.0.0 and 1.1.0 of the demo sentiment model as artifacts of `modelId`: the
 * same files with the model id changed, and a manifest whose checksums fit them.
 */
async function writeArtifacts(
  root: string,
  modelId: string,
): Promise<SuiteModel['artifacts']> {
  const artifacts: SuiteModel['artifacts'] = {};
  for (const version of ['1.0.0', '1.1.0']) {
    const source = path.join(SOURCE_MODEL, version);
    const target = path.join(root, 'artifacts', modelId, version);
    await fsp.mkdir(target, { recursive: true });
    const model = JSON.parse(
      await fsp.readFile(path.join(source, 'model.json'), 'utf8'),
    );
    model.modelId = modelId;
    const files: Record<string, string> = {
      'model.json': JSON.stringify(model),
      'tests.json': await fsp.readFile(path.join(source, 'tests.json'), 'utf8'),
    };
    for (const [name, content] of Object.entries(files)) {
      await fsp.writeFile(path.join(target, name), content);
    }
    const manifest = JSON.stringify(
      {
        modelId,
        version,
        files: Object.entries(files).map(([name, content]) => ({
          path: name,
          sha256: sha256(content),
        })),
      },
      null,
      2,
    );
    await fsp.writeFile(path.join(target, 'manifest.json'), manifest);
    artifacts[version] = {
      uri: `file:artifacts/${modelId}/${version}`,
      sha256: sha256(manifest),
    };
  }
  return artifacts;
}

/** The connection of the test PostgreSQL, from its connection string. */
function parseConnection(connectionString: string) {
  const url = new URL(connectionString);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** The crash suite's database, folders and processes. */
export class CrashWorld {
  readonly backends: BackendProcess[] = [];
  readonly token = crypto.randomBytes(24).toString('hex');
  private backendCount = 0;
  /** One connection, for the advisory lock of the freeze (a session lock). */
  private lock?: Knex;

  private constructor(
    readonly settings: SuiteSettings,
    readonly tmp: string,
    readonly database: string,
    private readonly connection: ReturnType<typeof parseConnection>,
    readonly knex: Knex,
    readonly models: SuiteModel[],
    private readonly configFile: string,
  ) {}

  get stateDir() {
    return path.join(this.tmp, 'local');
  }

  /** Creates the database, the folders, the artifacts, the catalog and the shared config. */
  static async create(options: {
    connectionString: string;
    settings: SuiteSettings;
    models: Array<Pick<SuiteModel, 'modelId' | 'strategy'>>;
  }): Promise<CrashWorld> {
    const { settings } = options;
    const connection = parseConnection(options.connectionString);
    const database = `modelops_crash_${crypto.randomBytes(4).toString('hex')}`;
    const admin = knexFactory({
      client: 'pg',
      connection: { ...connection, database: 'postgres' },
    });
    try {
      await admin.raw(`create database ${database}`);
    } finally {
      await admin.destroy();
    }
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'model-ops-crash-'));
    await fsp.mkdir(path.join(tmp, 'logs'));
    await fsp.copyFile(
      path.join(repoRoot, 'examples/models/verification.json'),
      path.join(tmp, 'verification.json'),
    );

    const models: SuiteModel[] = [];
    for (const model of options.models) {
      models.push({
        ...model,
        routerPort: await freePort(),
        artifacts: await writeArtifacts(tmp, model.modelId),
      });
    }
    const catalogFile = path.join(tmp, 'catalog.yaml');
    await fsp.writeFile(
      catalogFile,
      models
        .map(m =>
          JSON.stringify({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: m.modelId,
              annotations: {
                'model-ops/model-id': m.modelId,
                'model-ops/runtime': 'local',
                'model-ops/strategy': m.strategy,
              },
            },
            spec: { type: 'model', lifecycle: 'production', owner: 'crash' },
          }),
        )
        .join('\n---\n'),
    );

    const lease = settings.leaseSeconds;
    const config = {
      backend: {
        database: {
          client: 'pg',
          pluginDivisionMode: 'schema',
          connection: { ...connection, database },
        },
      },
      permission: { enabled: true },
      portal: { permissionPolicy: 'allow-all' },
      catalog: {
        rules: [{ allow: ['Component'] }],
        locations: [{ type: 'file', target: catalogFile }],
      },
      modelOps: {
        models: {
          refreshSchedule: {
            frequency: { seconds: 1 },
            timeout: { seconds: 30 },
          },
          maxAgeSeconds: 2,
        },
        artifacts: { fileRoot: tmp, fileRoots: ['artifacts'] },
        pipeline: {
          leaseSeconds: lease,
          pollIntervalSeconds: settings.pollIntervalSeconds,
          // The default (4): the 13 seed runs queue, as they would on any portal.
          ...(settings.isolateRuntime ? { reconcileSchedule: NEVER } : {}),
          verificationFile: 'verification.json',
          budgets: {
            performance: { requests: 10, p95BudgetMs: 2000 },
            load: {
              concurrency: 2,
              durationSeconds: 0.5,
              maxErrorRatePct: 5,
              minThroughputRps: 1,
            },
            verification: { probes: 5 },
          },
        },
        environments: {
          probes: 5,
          healthWatchSeconds: settings.healthWatchSeconds,
          watchIntervalMs: 50,
          leaseSeconds: lease,
          reconcileSchedule: settings.isolateRuntime
            ? NEVER
            : { frequency: { seconds: 2 }, timeout: { seconds: 60 } },
          ...(settings.isolateRuntime ? { cooldownSchedule: NEVER } : {}),
        },
        ...(settings.isolateRuntime ? { monitoring: { schedule: NEVER } } : {}),
        canary: {
          steps: settings.canarySteps,
          stepSeconds: settings.canaryStepSeconds,
          analysisIntervalMs: 20,
        },
        permissions: {
          allowedServicePrincipals: [TOKEN_SUBJECT],
        },
        local: {
          stateDir: path.join(tmp, 'local'),
          routerPorts: Object.fromEntries(
            models.map(m => [m.modelId, m.routerPort]),
          ),
        },
      },
    };
    const configFile = path.join(tmp, 'app-config.crash.yaml');
    await fsp.writeFile(configFile, JSON.stringify(config, null, 2));

    const knex = knexFactory({
      client: 'pg',
      connection: { ...connection, database },
      searchPath: [SCHEMA, 'public'],
      pool: { min: 0, max: 4 },
    });
    return new CrashWorld(
      settings,
      tmp,
      database,
      connection,
      knex,
      models,
      configFile,
    );
  }

  model(modelId: string): SuiteModel {
    return this.models.find(m => m.modelId === modelId)!;
  }

  live(): BackendProcess[] {
    return this.backends.filter(b => b.alive);
  }

  /** Starts one more backend on a free port; resolves once it is spawned (see `ready`). */
  async spawnBackend(): Promise<BackendProcess> {
    this.backendCount++;
    const name = `crash-backend-${this.backendCount}`;
    const port = await freePort();
    const own = path.join(this.tmp, `${name}.yaml`);
    await fsp.writeFile(
      own,
      JSON.stringify({
        backend: {
          baseUrl: `http://127.0.0.1:${port}`,
          listen: { port, host: '127.0.0.1' },
          database: { connection: { application_name: name } },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token: this.token, subject: TOKEN_SUBJECT },
              },
            ],
          },
        },
      }),
    );
    const backend = new BackendProcess({
      name,
      port,
      logFile: path.join(this.tmp, 'logs', `${name}.log`),
      configFiles: [this.configFile, own],
    });
    this.backends.push(backend);
    return backend;
  }

  /** The backend whose worker holds a lease. */
  byOwner(owner: string | null | undefined): BackendProcess | undefined {
    return owner ? this.backends.find(b => b.workerOwner === owner) : undefined;
  }

  /** A JSON request to the API of a live backend (the first one, unless one is named). */
  async api(
    method: string,
    apiPath: string,
    body?: unknown,
    backend = this.live()[0],
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${backend.url}/api/${apiPath}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed };
  }

  /**
   * The freeze: a trigger on every table a run writes makes the writes of one backend's
   * connections (by application_name) wait on an advisory lock the suite holds, once a
   * condition about the run is true. The victim is so stopped at its first write after the
   * checkpoint, and killed there. Nothing is frozen while no backend is named.
   */
  async installFreeze(): Promise<void> {
    await this.knex.raw(`
      create table if not exists public.crash_freeze (
        id integer primary key, app text, run_id text, condition text);
      insert into public.crash_freeze (id) values (1) on conflict do nothing;
      create or replace function public.crash_freeze_gate() returns trigger
      language plpgsql as $$
      declare
        f public.crash_freeze%rowtype;
        hit boolean;
      begin
        select * into f from public.crash_freeze where id = 1;
        if f.app is not null and f.app = current_setting('application_name', true) then
          execute f.condition into hit using f.run_id;
          if coalesce(hit, false) then
            perform pg_advisory_xact_lock_shared(727274);
          end if;
        end if;
        if tg_op = 'DELETE' then return old; end if;
        return new;
      end $$;
    `);
    for (const table of [
      'model_ops_runs',
      'model_ops_run_stages',
      'model_ops_switches',
      'model_ops_models',
      'model_ops_slots',
      'model_ops_versions',
    ]) {
      await this.knex.raw(`
        drop trigger if exists crash_freeze on "${SCHEMA}".${table};
        create trigger crash_freeze before insert or update or delete
          on "${SCHEMA}".${table} for each row
          execute function public.crash_freeze_gate();
      `);
    }
    this.lock = knexFactory({
      client: 'pg',
      connection: {
        ...this.connection,
        database: this.database,
        application_name: 'crash-suite-lock',
      },
      pool: { min: 1, max: 1, idleTimeoutMillis: 600_000 },
    });
  }

  /** Freezes `backend` at its first write once `condition` (SQL, `$1` the run id) holds. */
  async arm(
    backend: BackendProcess,
    runId: string,
    condition: string,
  ): Promise<void> {
    await this.lock!.raw('select pg_advisory_lock(727274)');
    await this.knex('public.crash_freeze')
      .where({ id: 1 })
      .update({ app: backend.name, run_id: runId, condition });
  }

  /** Whether a kill condition holds for a run. */
  async holds(condition: string, runId: string): Promise<boolean> {
    const answer = await this.knex.raw(condition.replace(/\$1/g, '?'), [runId]);
    return Boolean(Object.values(answer.rows[0] ?? {})[0]);
  }

  /** Whether a session of `backend` waits on the freeze. */
  async frozen(backend: BackendProcess): Promise<boolean> {
    const rows = await this.knex('pg_catalog.pg_stat_activity')
      .where({
        application_name: backend.name,
        wait_event_type: 'Lock',
        wait_event: 'advisory',
      })
      .count({ n: '*' });
    return Number(rows[0].n) > 0;
  }

  /**
   * Lifts the freeze. The killed backend's sessions are terminated first, so that a write it
   * was frozen in is never carried out after its death.
   */
  async disarm(victim?: BackendProcess): Promise<void> {
    await this.knex('public.crash_freeze')
      .where({ id: 1 })
      .update({ app: null, run_id: null, condition: null });
    if (victim) {
      await this.knex.raw(
        'select pg_terminate_backend(pid) from pg_catalog.pg_stat_activity where application_name = ?',
        [victim.name],
      );
    }
    await this.lock!.raw('select pg_advisory_unlock_all()');
  }

  /** Pids of the model servers and routers running on the suite's state folder. */
  runtimeProcesses(): Array<{ pid: number; cmdline: string }> {
    const found: Array<{ pid: number; cmdline: string }> = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline: string;
      try {
        cmdline = fs
          .readFileSync(`/proc/${entry}/cmdline`, 'utf8')
          .split('\0')
          .join(' ');
      } catch {
        continue;
      }
      if (
        cmdline.includes(this.stateDir) &&
        !cmdline.includes('backendProcess.ts')
      ) {
        found.push({ pid: Number(entry), cmdline });
      }
    }
    return found;
  }

  /** Stops every process of the suite, drops the database, removes the temp folder. */
  async close(options: { keepTmp?: boolean } = {}): Promise<void> {
    for (const backend of this.backends) {
      if (backend.alive) await backend.kill();
    }
    for (const { pid } of this.runtimeProcesses()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await this.lock?.destroy().catch(() => undefined);
    await this.knex.destroy();
    const admin = knexFactory({
      client: 'pg',
      connection: { ...this.connection, database: 'postgres' },
    });
    try {
      await admin.raw(
        'select pg_terminate_backend(pid) from pg_catalog.pg_stat_activity where datname = ?',
        [this.database],
      );
      await admin.raw(`drop database if exists ${this.database}`);
    } finally {
      await admin.destroy();
    }
    if (!options.keepTmp) {
      await fsp.rm(this.tmp, { recursive: true, force: true });
    }
  }

  /** Kills what `close` would, synchronously, for an exiting test process. */
  killAllSync(): void {
    for (const backend of this.backends) {
      try {
        process.kill(-backend.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const { pid } of this.runtimeProcesses()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
