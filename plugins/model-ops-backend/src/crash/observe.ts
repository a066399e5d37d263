/*
 * What the crash suite looks at, from the outside: the run, stage, switch, model and slot rows
 * in the database, and the local runtime as it is on the host (its state file, the router's own
 * route table through its admin API, what each upstream serves, which processes run). Nothing
 * here changes anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CrashWorld } from './harness';

const TERMINAL = ['succeeded', 'failed', 'rolled_back', 'cancelled'];

export const isTerminal = (status: string | undefined) =>
  status !== undefined && TERMINAL.includes(status);

const parse = (text: unknown) => {
  if (typeof text !== 'string') return text ?? undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The run as the database has it, with its production stage. */
export interface RunView {
  id: string;
  status: string;
  stage?: string;
  leaseOwner?: string;
  error?: string;
  previousVersion?: string;
  canary?: { weight?: number; status?: string; step?: number };
  production?: {
    status: string;
    step?: string;
    errors: string[];
    checks: Array<{ name: string; ok: boolean; detail?: string }>;
  };
  stages: Array<{ name: string; status: string }>;
}

export async function readRun(
  world: CrashWorld,
  runId: string,
): Promise<RunView | undefined> {
  const run = await world.knex('model_ops_runs').where({ id: runId }).first();
  if (!run) return undefined;
  const stages = await world
    .knex('model_ops_run_stages')
    .where({ run_id: runId })
    .orderBy('position');
  const production = stages.find((s: any) => s.name === 'production');
  return {
    id: run.id,
    status: run.status,
    stage: run.stage ?? undefined,
    leaseOwner: run.lease_owner ?? undefined,
    error: run.error ?? undefined,
    previousVersion: run.previous_version ?? undefined,
    canary: parse(run.canary),
    production: production && {
      status: production.status,
      step: parse(production.metrics)?.step,
      errors: parse(production.errors) ?? [],
      checks: parse(production.checks) ?? [],
    },
    stages: stages.map((s: any) => ({ name: s.name, status: s.status })),
  };
}

/** A switch row, as recorded. */
export interface SwitchView {
  id: string;
  kind: string;
  status: string;
  from?: string;
  to: string;
  toVersion?: string;
  runId?: string;
  owner?: string;
  error?: string;
  startedAt: string;
}

export async function readSwitches(
  world: CrashWorld,
  modelId: string,
): Promise<SwitchView[]> {
  const rows = await world
    .knex('model_ops_switches')
    .where({ model_id: modelId })
    .orderBy('started_at');
  return rows.map((r: any) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    from: r.from_slot ?? undefined,
    to: r.to_slot,
    toVersion: r.to_version ?? undefined,
    runId: r.run_id ?? undefined,
    owner: r.owner ?? undefined,
    error: r.error ?? undefined,
    startedAt: new Date(r.started_at).toISOString(),
  }));
}

/** The model row and its slot rows. */
export async function readModel(world: CrashWorld, modelId: string) {
  const model = await world
    .knex('model_ops_models')
    .where({ model_id: modelId })
    .first();
  const slots = await world
    .knex('model_ops_slots')
    .where({ model_id: modelId })
    .orderBy('slot');
  return {
    activeSlot: (model?.active_slot ?? undefined) as string | undefined,
    productionVersion: (model?.production_version ?? undefined) as
      | string
      | undefined,
    slots: slots.map((s: any) => ({
      slot: s.slot as string,
      version: (s.version ?? undefined) as string | undefined,
      state: s.state as string,
      weight: Number(s.traffic_weight),
    })),
  };
}

/** Runs of any model that are pending or running. */
export async function activeRuns(world: CrashWorld) {
  return world
    .knex('model_ops_runs')
    .whereIn('status', ['pending', 'running'])
    .select('id', 'model_id', 'status', 'stage', 'lease_owner');
}

/** Switches of any model that are in progress. */
export async function switchesInProgress(world: CrashWorld) {
  return world
    .knex('model_ops_switches')
    .where({ status: 'in_progress' })
    .select('id', 'model_id', 'kind', 'owner', 'run_id');
}

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body?: any; version?: string }> {
  try {
    const response = await fetch(url, {
      headers,
      signal: AbortSignal.timeout(3000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: parse(text),
      version: response.headers.get('x-model-version') ?? undefined,
    };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The local runtime of a model as the host runs it. */
export interface RuntimeView {
  /** The router the model's fixed port answers with, and its table. */
  routerPid?: number;
  routerAlive: boolean;
  /** Slot weights of the router's own table. */
  weights: Record<string, number>;
  /** What each upstream of the router's table answers on /healthz. */
  upstreams: Record<string, { url: string; weight: number; serves?: string }>;
  /** The state file's slots. */
  stateSlots: Record<string, { pid: number; version: string; alive: boolean }>;
  /** Model servers and routers of the model that run but the state file does not name. */
  orphans: Array<{ pid: number; what: string }>;
  /** x-model-version of a few predictions through the router. */
  served: Record<string, number>;
}

export async function readRuntime(
  world: CrashWorld,
  modelId: string,
): Promise<RuntimeView> {
  const { routerPort } = world.model(modelId);
  let state: any;
  try {
    state = JSON.parse(
      fs.readFileSync(path.join(world.stateDir, modelId, 'state.json'), 'utf8'),
    );
  } catch {
    state = undefined;
  }
  let token = '';
  try {
    token = fs
      .readFileSync(path.join(world.stateDir, 'router.token'), 'utf8')
      .trim();
  } catch {
    // no router yet
  }
  const routes = await getJson(
    `http://127.0.0.1:${routerPort}/__model-ops/routes`,
    { 'x-model-ops-router-token': token },
  );
  const health = await getJson(
    `http://127.0.0.1:${routerPort}/__model-ops/healthz`,
    { 'x-model-ops-router-token': token },
  );
  const table: Record<string, { url: string; weight: number }> =
    routes.body?.upstreams ?? {};
  const upstreams: RuntimeView['upstreams'] = {};
  const weights: Record<string, number> = {};
  for (const [slot, route] of Object.entries(table)) {
    weights[slot] = route.weight;
    const answer = await getJson(new URL('/healthz', route.url).toString());
    upstreams[slot] = { ...route, serves: answer.version };
  }
  const stateSlots: RuntimeView['stateSlots'] = {};
  for (const [slot, record] of Object.entries<any>(state?.slots ?? {})) {
    stateSlots[slot] = {
      pid: record.pid,
      version: record.version,
      alive: pidAlive(record.pid),
    };
  }
  const known = new Set<number>([
    ...Object.values(stateSlots).map(s => s.pid),
    ...(state?.router?.pid ? [state.router.pid] : []),
  ]);
  const orphans = world
    .runtimeProcesses()
    .filter(
      p =>
        p.cmdline.includes(`--model-id ${modelId} `) ||
        p.cmdline.endsWith(`--model-id ${modelId}`) ||
        p.cmdline.includes(`/artifacts/${modelId}/`),
    )
    .filter(p => !known.has(p.pid))
    .map(p => ({
      pid: p.pid,
      what: p.cmdline.includes('local-router')
        ? 'router'
        : `server ${
            /\/artifacts\/[^/]+\/([^-/\s]+)/.exec(p.cmdline)?.[1] ?? ''
          }`,
    }));
  const served: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    try {
      const response = await fetch(
        `http://127.0.0.1:${routerPort}/v1/predict`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input: 'love it' }),
          signal: AbortSignal.timeout(3000),
        },
      );
      await response.text();
      const key = response.ok
        ? response.headers.get('x-model-version') ?? 'none'
        : `HTTP ${response.status}`;
      served[key] = (served[key] ?? 0) + 1;
    } catch (error) {
      served.error = (served.error ?? 0) + 1;
    }
  }
  return {
    routerPid: health.body?.pid ?? state?.router?.pid,
    routerAlive: health.status === 200,
    weights,
    upstreams,
    stateSlots,
    orphans,
    served,
  };
}

/** Log lines of a backend that mention any of `needles`, from `fromOffset` of its log. */
export function logLines(
  text: string,
  needles: string[],
  limit = 40,
): string[] {
  const lines = text
    .split('\n')
    .filter(line => needles.some(n => line.includes(n)))
    .filter(
      line => !line.includes('"GET /api/') && !line.includes('"POST /api/'),
    )
    .map(line => line.replace(/\s+/g, ' ').trim());
  return lines.length > limit
    ? [
        ...lines.slice(0, 10),
        `... ${lines.length - limit} more ...`,
        ...lines.slice(-(limit - 10)),
      ]
    : lines;
}
