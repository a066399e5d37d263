/*
 * The crash suite: two real backends on one PostgreSQL database and one local runtime, 100
 * requests/s through the model's router, and the backend that holds the run killed with SIGKILL
 * at each checkpoint of each production strategy. Each case asserts that the other backend ends
 * the run within two lease periods, that the router's traffic is the recorded active color, that
 * no switch or run is left active and that no request through the router failed; and prints
 * its figures. See README.md beside this file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Load, LoadFigures, startLoad } from './load';
import {
  BackendProcess,
  CrashWorld,
  SCHEMA,
  SuiteSettings,
  sleep,
  waitFor,
} from './harness';
import {
  RunView,
  RuntimeView,
  activeRuns,
  isTerminal,
  logLines,
  readModel,
  readRun,
  readRuntime,
  readSwitches,
  switchesInProgress,
} from './observe';

const connectionString =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;

const settings: SuiteSettings = {
  leaseSeconds: Number(process.env.CRASH_LEASE_SECONDS ?? 8),
  pollIntervalSeconds: 0.5,
  healthWatchSeconds: 1,
  canarySteps: [20, 50, 100],
  canaryStepSeconds: 1,
  rps: 100,
  isolateRuntime: process.env.CRASH_ISOLATE_RUNTIME === '1',
};
const LEASE_MS = settings.leaseSeconds * 1000;
/** A case's run must have ended this long after the kill. */
const RECOVERY_BOUND_MS = 2 * LEASE_MS;
/** How long after its checkpoint the victim is killed when it is not frozen before. */
const KILL_WITHIN_MS = 150;
const CASE_TIMEOUT_MS = 150_000;

type Strategy = 'blue-green' | 'canary' | 'recreate';

interface CrashCase {
  /** Also the model id of the case: each case has a model of its own. */
  id: string;
  strategy: Strategy;
  label: string;
  /** SQL that holds once the kill point is reached; `$1` is the run id. */
  when: string;
}

const stage = `"${SCHEMA}".model_ops_run_stages`;
const runs = `"${SCHEMA}".model_ops_runs`;
const atStep = (step: string) =>
  `select exists (select 1 from ${stage} where run_id = $1::uuid and name = 'production' and (metrics::jsonb ->> 'step') = '${step}')`;
const atCanaryWeight = (weight: number) =>
  `select exists (select 1 from ${stage} s join ${runs} r on r.id = s.run_id where s.run_id = $1::uuid and s.name = 'production' and (s.metrics::jsonb ->> 'step') = 'traffic-set' and (r.canary::jsonb ->> 'weight')::numeric = ${weight})`;

const CASES: CrashCase[] = [
  ...(
    [
      ['deployed-idle', 'deployed-idle'],
      ['traffic-set', 'traffic-set (mid-switch)'],
      ['probes-ok', 'probes-ok (mid-watch)'],
      ['watch-ok', 'watch-ok'],
      ['committed', 'committed'],
    ] as const
  ).map(([step, label]) => ({
    id: `bg-${step}`,
    strategy: 'blue-green' as const,
    label: `blue-green ${label}`,
    when: atStep(step),
  })),
  {
    id: 'canary-deployed-idle',
    strategy: 'canary',
    label: 'canary deployed-idle',
    when: atStep('deployed-idle'),
  },
  {
    id: 'canary-weight-50',
    strategy: 'canary',
    label: 'canary traffic-set (weight step 50 %)',
    when: atCanaryWeight(50),
  },
  {
    id: 'canary-promotion',
    strategy: 'canary',
    label: 'canary mid-promotion switch (probes-ok)',
    when: atStep('probes-ok'),
  },
  {
    id: 'canary-committed',
    strategy: 'canary',
    label: 'canary committed',
    when: atStep('committed'),
  },
  ...(['traffic-set', 'probes-ok', 'watch-ok', 'committed'] as const).map(
    step => ({
      id: `recreate-${step}`,
      strategy: 'recreate' as const,
      label: `recreate ${step}`,
      when: atStep(step),
    }),
  ),
];
const ONLY = process.env.CRASH_CASES?.split(',').map(s => s.trim());
const SELECTED = ONLY ? CASES.filter(c => ONLY.includes(c.id)) : CASES;

const FROM = '1.0.0';
const TO = '1.1.0';

/** What one case saw. */
interface CaseResult {
  case: CrashCase;
  victim?: string;
  survivor?: string;
  endedBy?: string;
  /** Who took the run's lease after the kill, and when. */
  resumedBy?: string;
  resumedAfterMs?: number;
  killedAtStep?: string;
  killPoint?: string;
  recoveredMs?: number;
  load?: LoadFigures;
  run?: RunView;
  model?: Awaited<ReturnType<typeof readModel>>;
  runtime?: RuntimeView;
  switches?: Awaited<ReturnType<typeof readSwitches>>;
  /** Switches and runs of the case's model left active. */
  openSwitches: number;
  openRuns: number;
  /** Of any model (other cases' leftovers included). */
  openElsewhere: string[];
  problems: string[];
  logs: Record<string, string[]>;
}

const describeOnPostgres = connectionString ? describe : describe.skip;
if (!connectionString) {
  // eslint-disable-next-line no-console
  console.log(
    'crash suite skipped: it needs PostgreSQL (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)',
  );
}

describeOnPostgres(
  'crash suite (two backends, SIGKILL at each checkpoint)',
  () => {
    let world: CrashWorld;
    const results: CaseResult[] = [];
    let replacement: Promise<void> | undefined;
    const suiteStarted = performance.now();
    const setupFigures: string[] = [];
    const resultsDir = path.join(
      os.tmpdir(),
      `model-ops-crash-results-${new Date()
        .toISOString()
        .replace(/[:.]/g, '-')}`,
    );
    const onExit = () => world?.killAllSync();

    beforeAll(async () => {
      process.once('exit', onExit);
      world = await CrashWorld.create({
        connectionString: connectionString!,
        settings,
        models: SELECTED.map(c => ({ modelId: c.id, strategy: c.strategy })),
      });
      // One after the other: two backends migrating a fresh database at once collide.
      const first: BackendProcess[] = [];
      for (let i = 0; i < 2; i++) {
        const backend = await world.spawnBackend();
        await backend.ready();
        first.push(backend);
      }
      setupFigures.push(
        `backends started in ${first
          .map(b => `${b.startMs} ms`)
          .join(' and ')}`,
      );
      await world.installFreeze();

      // Every case's model gets its first version (recreate, as a first version always is).
      const seeded = performance.now();
      const seeds = await Promise.all(
        world.models.map((m, i) => deploy(m.modelId, FROM, first[i % 2])),
      );
      const ended = await Promise.all(
        seeds.map(id =>
          waitFor(
            `seed run ${id}`,
            async () => {
              const run = await readRun(world, id);
              return isTerminal(run?.status) && run;
            },
            180_000,
            250,
          ),
        ),
      );
      if (settings.isolateRuntime) {
        // Backends whose runtime has not read the state folder yet: its first use reads it whole.
        for (const backend of first) await backend.kill();
        for (let i = 0; i < 2; i++) await (await world.spawnBackend()).ready();
        setupFigures.push('both backends restarted after the seeds');
      }
      const failed = ended.filter(r => r.status !== 'succeeded');
      setupFigures.push(
        `${seeds.length} models seeded with ${FROM} in ${Math.round(
          performance.now() - seeded,
        )} ms${
          failed.length
            ? ` (${failed.length} seed runs did not succeed: ${failed
                .map(r => `${r.id} ${r.status}: ${r.error}`)
                .join('; ')})`
            : ''
        }`,
      );
    }, 300_000);

    afterAll(async () => {
      await replacement?.catch(() => undefined);
      const table = renderTable(results, setupFigures, suiteStarted);
      fs.mkdirSync(path.join(resultsDir, 'logs'), { recursive: true });
      fs.writeFileSync(path.join(resultsDir, 'results.md'), table);
      for (const backend of world?.backends ?? []) {
        fs.copyFileSync(
          backend.logFile,
          path.join(resultsDir, 'logs', path.basename(backend.logFile)),
        );
      }
      // eslint-disable-next-line no-console
      console.log(`${table}\n(written to ${resultsDir}/results.md)`);
      await world?.close();
      process.removeListener('exit', onExit);
    }, 60_000);

    /** Starts a deploy through the API, retrying while the catalog is not read yet. */
    async function deploy(
      modelId: string,
      version: string,
      backend?: BackendProcess,
    ): Promise<string> {
      const artifact = world.model(modelId).artifacts[version];
      let last: unknown;
      for (let attempt = 0; attempt < 120; attempt++) {
        const answer = await world.api(
          'POST',
          'model-ops/deployments',
          { entityRef: `component:default/${modelId}`, version, artifact },
          backend,
        );
        if (answer.status === 202) return answer.body.id;
        last = answer;
        // Only an entity the model index does not know yet is worth waiting for.
        if (answer.status !== 404) break;
        await sleep(500);
      }
      throw new Error(
        `POST /deployments for ${modelId} kept failing: ${JSON.stringify(
          last,
        )}`,
      );
    }

    /** Two backends, ready: the one started after the last kill has finished starting. */
    async function twoBackends(): Promise<BackendProcess[]> {
      await replacement;
      replacement = undefined;
      const live = world.live();
      if (live.length < 2) {
        const more = await world.spawnBackend();
        await more.ready();
      }
      return world.live();
    }

    it.each(SELECTED.map(c => [c.label, c] as const))(
      '%s',
      async (_label, crashCase) => {
        const result: CaseResult = {
          case: crashCase,
          openSwitches: 0,
          openRuns: 0,
          openElsewhere: [],
          problems: [],
          logs: {},
        };
        results.push(result);
        const modelId = crashCase.id;
        const model = world.model(modelId);
        const before = await readModel(world, modelId);
        if (before.productionVersion !== FROM) {
          result.problems.push(
            `precondition: ${modelId} has ${
              before.productionVersion ?? 'nothing'
            } in production, not ${FROM} (its seed run failed)`,
          );
          throw new Error(result.problems[0]);
        }
        const backends = await twoBackends();
        const logOffsets = new Map(backends.map(b => [b, b.log().length]));
        const caseStarted = performance.now();

        let load: Load | undefined = startLoad({
          endpoint: `http://127.0.0.1:${model.routerPort}`,
          rps: settings.rps,
          maxDurationMs: 120_000,
        });
        let victim: BackendProcess | undefined;
        try {
          // To the older backend, which so (most likely) claims the run: the one started after
          // the last kill is the survivor.
          const runId = await deploy(modelId, TO, backends[0]);

          // Wait for the checkpoint; freeze the run's owner at its next write; kill it.
          let hitAt: number | undefined;
          let frozen = false;
          await waitFor(
            `${crashCase.label} to be reached by run ${runId}`,
            async () => {
              const run = await readRun(world, runId);
              if (!victim && run?.leaseOwner) {
                victim = world.byOwner(run.leaseOwner);
                if (victim) await world.arm(victim, runId, crashCase.when);
              }
              if (isTerminal(run?.status)) {
                throw new Error(
                  `run ${runId} ended ${run!.status} at step ${
                    run!.production?.step
                  } before the kill point was seen (${
                    run!.error ?? 'no error'
                  })`,
                );
              }
              if (!victim) return false;
              if (
                hitAt === undefined &&
                (await world.holds(crashCase.when, runId))
              ) {
                hitAt = performance.now();
              }
              if (hitAt === undefined) return false;
              frozen = await world.frozen(victim);
              return frozen || performance.now() - hitAt >= KILL_WITHIN_MS;
            },
            60_000,
            25,
          );
          await victim!.kill();
          const killedAt = victim!.killedAt!;
          await world.disarm(victim);
          result.victim = victim!.name;
          result.killPoint = frozen
            ? 'frozen at its next write'
            : `${KILL_WITHIN_MS} ms after the checkpoint`;
          const atKill = await readRun(world, runId);
          result.killedAtStep = atKill?.production?.step;
          const survivors = world.live();
          result.survivor = survivors.map(b => b.name).join(', ');
          // A fresh second backend, as an orchestrator would start one: once the survivor has
          // taken the run over (or a lease and a poll after the kill), so that it cannot race
          // the survivor for the run.
          const startReplacement = () => {
            if (replacement) return;
            replacement = world.spawnBackend().then(next => next.ready());
            replacement.catch(() => undefined);
          };

          // The survivor takes the run over and ends it.
          let ended: RunView | undefined;
          try {
            ended = await waitFor(
              `run ${runId} to end after the kill`,
              async () => {
                const run = await readRun(world, runId);
                if (
                  !result.resumedBy &&
                  run?.leaseOwner &&
                  run.leaseOwner !== victim!.workerOwner
                ) {
                  result.resumedBy = world.byOwner(run.leaseOwner)?.name;
                  result.resumedAfterMs = Math.round(
                    performance.now() - killedAt,
                  );
                }
                if (
                  result.resumedBy ||
                  performance.now() - killedAt > LEASE_MS + 2000
                ) {
                  startReplacement();
                }
                return isTerminal(run?.status) && run;
              },
              RECOVERY_BOUND_MS + 30_000,
              50,
            );
            result.recoveredMs = Math.round(performance.now() - killedAt);
          } catch (error) {
            result.problems.push(String((error as Error).message));
          }
          startReplacement();
          // Traffic keeps flowing a moment after the run's end (its clean-up is behind it).
          await sleep(1000);
          result.load = await load.stop();
          load = undefined;

          result.run = (await readRun(world, runId)) ?? ended;
          result.model = await readModel(world, modelId);
          result.switches = await readSwitches(world, modelId);
          result.runtime = await readRuntime(world, modelId);
          const open = await switchesInProgress(world);
          const active = await activeRuns(world);
          result.openSwitches = open.filter(s => s.model_id === modelId).length;
          result.openRuns = active.filter(r => r.model_id === modelId).length;
          result.openElsewhere = [
            ...open
              .filter(s => s.model_id !== modelId)
              .map(s => `switch ${s.kind} of ${s.model_id} (owner ${s.owner})`),
            ...active
              .filter(r => r.model_id !== modelId)
              .map(r => `run of ${r.model_id} ${r.status}`),
          ];
          const endedLine = new RegExp(`Run ${runId} \\(.*\\) ended`);
          result.endedBy = world.backends.find(b =>
            endedLine.test(b.log()),
          )?.name;
          // The log lines of this case: the two backends it started with and the replacement.
          for (const backend of world.backends.filter(
            b => logOffsets.has(b) || b.spawnedAt > caseStarted,
          )) {
            const offset = logOffsets.get(backend) ?? 0;
            const lines = logLines(backend.log().slice(offset), [
              runId,
              modelId,
              victim!.workerOwner!,
            ]).filter(
              line =>
                !/ (info) .*(Registered scheduled task|GET \/)/.test(line),
            );
            if (lines.length) result.logs[backend.name] = lines;
          }
          judge(result);
        } catch (error) {
          result.problems.push(String((error as Error)?.message ?? error));
        } finally {
          if (load) await load.stop();
          // A case that failed before its kill leaves nothing frozen behind.
          if (victim && victim.killedAt === undefined) await world.disarm();
          printCase(result);
        }
        expect(result.problems).toEqual([]);
      },
      CASE_TIMEOUT_MS,
    );
  },
);

function formatWeights(weights: Record<string, number>): string {
  return Object.keys(weights).length
    ? Object.entries(weights)
        .map(([slot, w]) => `${slot} ${w} %`)
        .join(', ')
    : 'none';
}

function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([key, n]) => `${key}: ${n}`)
      .join(', ') || 'none'
  );
}

/** The case's assertions, as a list of what is wrong. */
function judge(result: CaseResult) {
  const { run, model, runtime, load, problems } = result;
  if (
    result.recoveredMs !== undefined &&
    result.recoveredMs > RECOVERY_BOUND_MS
  ) {
    problems.push(
      `the run ended ${result.recoveredMs} ms after the kill, over two leases (${RECOVERY_BOUND_MS} ms)`,
    );
  }
  if (!run || !isTerminal(run.status)) {
    problems.push(`the run is ${run?.status ?? 'missing'} at the end`);
  }
  if (
    result.endedBy &&
    result.survivor &&
    !result.survivor.includes(result.endedBy)
  ) {
    problems.push(
      `the run was ended by ${result.endedBy}, not by the survivor ${result.survivor}`,
    );
  }
  if (run && isTerminal(run.status) && model) {
    const expected = run.status === 'succeeded' ? TO : FROM;
    if (model.productionVersion !== expected) {
      problems.push(
        `the run ended ${run.status} but the recorded production version is ${model.productionVersion} (expected ${expected})`,
      );
    }
  }
  if (model && runtime) {
    const active = model.activeSlot ?? 'none';
    const wrong = Object.entries(runtime.weights).filter(([slot, weight]) =>
      slot === active ? weight !== 100 : weight !== 0,
    );
    if (runtime.weights[active] !== 100 || wrong.length) {
      problems.push(
        `runtime traffic ${formatWeights(
          runtime.weights,
        )} is not the recorded active color ${active} at 100 %`,
      );
    }
    const serves = runtime.upstreams[active]?.serves;
    if (serves !== model.productionVersion) {
      problems.push(
        `the active color ${active} serves ${
          serves ?? 'nothing'
        }, the recorded production version is ${model.productionVersion}`,
      );
    }
    const servedVersions = Object.keys(runtime.served);
    if (
      servedVersions.length !== 1 ||
      servedVersions[0] !== model.productionVersion
    ) {
      problems.push(
        `the router answers ${formatCounts(runtime.served)} while ${
          model.productionVersion
        } is recorded in production`,
      );
    }
  }
  if (runtime?.orphans.length) {
    problems.push(
      `processes no state file names are left running: ${runtime.orphans
        .map(o => `${o.what} pid ${o.pid}`)
        .join(', ')}`,
    );
  }
  if (result.openSwitches > 0) {
    problems.push(`${result.openSwitches} switch(es) left in_progress`);
  }
  if (result.openRuns > 0) {
    problems.push(`${result.openRuns} run(s) left pending or running`);
  }
  if (load && load.failed > 0) {
    problems.push(
      `${load.failed} of ${
        load.total
      } requests through the router failed (${formatCounts(
        load.failuresByCause,
      )})`,
    );
  }
}

function finalState(r: CaseResult): string {
  const parts = [
    `run ${r.run?.status ?? '?'}`,
    `recorded ${r.model?.activeSlot ?? '-'} ${
      r.model?.productionVersion ?? '-'
    }`,
    `router ${r.runtime ? formatWeights(r.runtime.weights) : '?'}`,
    `serves ${r.runtime ? formatCounts(r.runtime.served) : '?'}`,
  ];
  if (r.openSwitches) parts.push(`${r.openSwitches} switch open`);
  if (r.openRuns) parts.push(`${r.openRuns} run active`);
  if (r.openElsewhere.length) {
    parts.push(`elsewhere: ${r.openElsewhere.join(', ')}`);
  }
  if (r.runtime?.orphans.length) {
    parts.push(
      `orphans: ${r.runtime.orphans
        .map(o => `${o.what} pid ${o.pid}`)
        .join(', ')}`,
    );
  }
  return parts.join('; ');
}

function printCase(r: CaseResult) {
  const lines = [
    `[crash] ${r.case.label}: ${r.problems.length ? 'FAIL' : 'ok'}`,
    `  killed ${r.victim ?? '-'} at ${r.killedAtStep ?? '-'} (${
      r.killPoint ?? 'not killed'
    }); survivor ${r.survivor ?? '-'}; resumed by ${r.resumedBy ?? '-'} after ${
      r.resumedAfterMs ?? '-'
    } ms; ended by ${r.endedBy ?? '-'}`,
    `  recovered in ${
      r.recoveredMs ?? '-'
    } ms (bound ${RECOVERY_BOUND_MS} ms); load ${
      r.load
        ? `${r.load.failed} failed of ${r.load.total} at ${
            r.load.rps
          } req/s, p95 ${r.load.p95Ms} ms, versions ${formatCounts(
            r.load.byVersion,
          )}`
        : '-'
    }`,
    `  final: ${finalState(r)}`,
    ...(r.run?.error ? [`  run error: ${r.run.error}`] : []),
    ...r.problems.map(p => `  problem: ${p}`),
  ];
  // eslint-disable-next-line no-console
  console.log(lines.join('\n'));
}

function renderTable(
  results: CaseResult[],
  setup: string[],
  started: number,
): string {
  const out = [
    `# Crash suite results`,
    '',
    `Mode ${
      settings.isolateRuntime
        ? 'isolated runtime (CRASH_ISOLATE_RUNTIME=1)'
        : 'shared runtime'
    }; lease ${
      settings.leaseSeconds
    } s (recovery bound ${RECOVERY_BOUND_MS} ms), load ${
      settings.rps
    } req/s, total ${Math.round(
      (performance.now() - started) / 1000,
    )} s; ${setup.join('; ')}.`,
    '',
    '| case | result | killed at | time to recover | failed / total requests | final state |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      r =>
        `| ${r.case.label} | ${r.problems.length ? 'FAIL' : 'ok'} | ${
          r.killedAtStep ?? '-'
        } | ${
          r.recoveredMs !== undefined ? `${r.recoveredMs} ms` : 'not recovered'
        } | ${
          r.load ? `${r.load.failed} / ${r.load.total}` : '-'
        } | ${finalState(r)} |`,
    ),
    '',
  ];
  for (const r of results) {
    out.push(`## ${r.case.label}`, '');
    out.push(
      `- victim ${r.victim ?? '-'} killed at ${r.killedAtStep ?? '-'} (${
        r.killPoint ?? 'not killed'
      }), survivor ${r.survivor ?? '-'}, resumed by ${
        r.resumedBy ?? '-'
      } after ${r.resumedAfterMs ?? '-'} ms, ended by ${r.endedBy ?? '-'}`,
    );
    for (const p of r.problems) out.push(`- problem: ${p}`);
    if (r.run) {
      out.push(
        `- run: ${r.run.status}, stages ${r.run.stages
          .map(s => `${s.name} ${s.status}`)
          .join(', ')}; production step ${
          r.run.production?.step ?? '-'
        }; error ${r.run.error ?? '-'}; previousVersion ${
          r.run.previousVersion ?? '-'
        }${
          r.run.canary
            ? `; canary ${JSON.stringify({
                weight: r.run.canary.weight,
                status: r.run.canary.status,
              })}`
            : ''
        }`,
      );
      if (r.run.production?.errors.length) {
        out.push(`- production errors: ${r.run.production.errors.join(' | ')}`);
      }
      const failedChecks = r.run.production?.checks.filter(c => !c.ok) ?? [];
      if (failedChecks.length) {
        out.push(
          `- failed checks: ${failedChecks
            .map(c => `${c.name}: ${c.detail ?? ''}`)
            .join(' | ')}`,
        );
      }
    }
    if (r.model) {
      out.push(
        `- model: active ${r.model.activeSlot ?? '-'}, production ${
          r.model.productionVersion ?? '-'
        }; slots ${r.model.slots
          .map(s => `${s.slot} ${s.version ?? '-'} ${s.state} ${s.weight} %`)
          .join(', ')}`,
      );
    }
    if (r.runtime) {
      out.push(
        `- runtime: router ${
          r.runtime.routerAlive ? 'answers' : 'DOWN'
        }; table ${
          Object.entries(r.runtime.upstreams)
            .map(
              ([slot, u]) =>
                `${slot} ${u.weight} % -> ${u.url} serves ${
                  u.serves ?? 'nothing'
                }`,
            )
            .join(', ') || 'empty'
        }; state file slots ${
          Object.entries(r.runtime.stateSlots)
            .map(
              ([slot, s]) =>
                `${slot} ${s.version} pid ${s.pid}${s.alive ? '' : ' (dead)'}`,
            )
            .join(', ') || 'none'
        }; orphans ${
          r.runtime.orphans.map(o => `${o.what} pid ${o.pid}`).join(', ') ||
          'none'
        }`,
      );
    }
    for (const s of r.switches ?? []) {
      out.push(
        `- switch ${s.id.slice(0, 8)} ${s.kind} ${s.from ?? '-'}->${s.to} (${
          s.toVersion ?? '-'
        }) ${s.status}${s.owner ? ` owner ${s.owner}` : ''}${
          s.error ? `: ${s.error}` : ''
        }`,
      );
    }
    if (r.load) {
      out.push(
        `- load: ${r.load.total} requests, ${
          r.load.failed
        } failed (${formatCounts(
          r.load.failuresByCause,
        )}), versions ${formatCounts(r.load.byVersion)}, p95 ${
          r.load.p95Ms
        } ms, max ${r.load.maxMs} ms${
          r.load.firstFailures.length
            ? `; first failures ${r.load.firstFailures
                .map(f => `${f.atMs} ms ${f.cause}`)
                .join(', ')}`
            : ''
        }`,
      );
    }
    for (const [name, lines] of Object.entries(r.logs)) {
      out.push('', `${name}:`, '```', ...lines, '```');
    }
    out.push('');
  }
  return out.join('\n');
}
