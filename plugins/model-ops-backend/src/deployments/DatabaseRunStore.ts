import { JsonObject } from '@backstage/types';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ACTIVE_RUN_STATUSES,
  CanaryState,
  DeploymentRun,
  DeploymentStage,
  DeploymentStrategy,
  RunStatus,
  StageName,
  StageStatus,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { databaseNow } from '../lib/databaseClock';
import { DbDate, fromJson, iso, isUniqueViolation, toDate } from '../lib/rows';
import {
  NewRun,
  RunChanges,
  RunStore,
  StageUpdate,
  StoredRun,
  SucceededVersion,
} from './RunStore';

type RunRow = {
  id: string;
  model_id: string;
  entity_ref: string;
  kind: string;
  version: string;
  artifact_uri: string;
  sha256: string | null;
  config: string;
  strategy: string;
  runtime: string;
  rules: string;
  canary: string | null;
  canary_command: string | null;
  status: string;
  stage: string | null;
  previous_version: string | null;
  error: string | null;
  created_by: string | null;
  cancel_requested: boolean | number;
  lease_owner: string | null;
  lease_expires_at: DbDate | null;
  created_at: DbDate;
  started_at: DbDate | null;
  finished_at: DbDate | null;
};

type StageRow = {
  run_id: string;
  name: string;
  position: number;
  status: string;
  started_at: DbDate | null;
  finished_at: DbDate | null;
  checks: string;
  errors: string;
  metrics: string;
};

const CURSOR_ID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** 9999-12-31T23:59:59.999Z */
const LAST_CURSOR_TIME = 253402300799999;

/**
 * The knex implementation of {@link RunStore}, on SQLite or PostgreSQL. The tables come from the
 * plugin's migrations, which the models store applies.
 *
 * @internal
 */
export class DatabaseRunStore implements RunStore {
  /**
   * `now` stamps what a run records (created, started, finished); `leaseClock` is what leases
   * are given and compared with: the database's own clock unless a test injects one, so that
   * replicas whose clocks disagree still agree on whose lease has run out.
   */
  static create(options: {
    knex: Knex;
    now?: () => Date;
    leaseClock?: () => Promise<Date>;
  }): DatabaseRunStore {
    return new DatabaseRunStore(
      options.knex,
      options.now ?? (() => new Date()),
      options.leaseClock ?? (() => databaseNow(options.knex)),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
    private readonly leaseClock: () => Promise<Date>,
  ) {}

  /** Creates a pending run; a ConflictError when the model already has an active run. */
  async createRun(run: NewRun): Promise<StoredRun> {
    const createdAt = this.now();
    try {
      await this.db.transaction(async tx => {
        await tx('model_ops_runs').insert({
          id: run.id,
          model_id: run.modelId,
          entity_ref: run.entityRef,
          kind: run.kind,
          version: run.version,
          artifact_uri: run.artifact.uri,
          sha256: run.artifact.sha256 ?? null,
          config: JSON.stringify(run.config),
          strategy: run.strategy,
          runtime: run.runtime,
          rules: run.rules ?? 'default',
          status: 'pending',
          stage: null,
          previous_version: run.previousVersion ?? null,
          created_by: run.createdBy ?? null,
          cancel_requested: false,
          created_at: createdAt,
        });
        await tx('model_ops_run_stages').insert(
          run.stages.map((name, position) => ({
            run_id: run.id,
            name,
            position,
            status: 'pending',
            checks: '[]',
            errors: '[]',
            metrics: '{}',
          })),
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const active = await this.getActiveRun(run.modelId);
        throw new ConflictError(
          `Model ${run.modelId} already has an active run${
            active
              ? ` (${active.id}, ${active.kind} of ${active.version}, ${active.status})`
              : ''
          }; wait for it to finish or cancel it`,
        );
      }
      throw error;
    }
    return (await this.getRun(run.id))!;
  }

  async getRun(id: string): Promise<StoredRun | undefined> {
    const row: RunRow | undefined = await this.db('model_ops_runs')
      .where({ id })
      .first();
    if (!row) {
      return undefined;
    }
    const stages: StageRow[] = await this.db('model_ops_run_stages')
      .where({ run_id: id })
      .orderBy('position');
    return DatabaseRunStore.toRun(row, stages);
  }

  async getRunOrThrow(id: string): Promise<StoredRun> {
    const run = await this.getRun(id);
    if (!run) {
      throw new NotFoundError(`No deployment run ${id}`);
    }
    return run;
  }

  async getActiveRun(modelId: string): Promise<StoredRun | undefined> {
    const row: RunRow | undefined = await this.db('model_ops_runs')
      .where({ model_id: modelId })
      .whereIn('status', ACTIVE_RUN_STATUSES as RunStatus[])
      .first();
    return row ? this.getRun(row.id) : undefined;
  }

  /** Runs of a model, newest first, with a cursor for the next page. */
  async listRuns(
    modelId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: StoredRun[]; nextCursor?: string }> {
    let query = this.db<RunRow>('model_ops_runs')
      .where({ model_id: modelId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit + 1);
    if (options.cursor) {
      const { createdAt, id } = DatabaseRunStore.decodeCursor(options.cursor);
      query = query.where(builder =>
        builder
          .where('created_at', '<', createdAt)
          .orWhere(inner =>
            inner.where('created_at', '=', createdAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    const stageRows: StageRow[] = page.length
      ? await this.db('model_ops_run_stages')
          .whereIn(
            'run_id',
            page.map(r => r.id),
          )
          .orderBy('position')
      : [];
    const items = page.map(row =>
      DatabaseRunStore.toRun(
        row,
        stageRows.filter(s => s.run_id === row.id),
      ),
    );
    const last = page[page.length - 1];
    return {
      items,
      nextCursor:
        rows.length > options.limit && last
          ? DatabaseRunStore.encodeCursor(toDate(last.created_at), last.id)
          : undefined,
    };
  }

  /**
   * Claims one run that needs a worker: pending, or running with an expired lease (its replica
   * died). The conditional update makes the claim atomic across replicas.
   */
  async claimNextRun(
    owner: string,
    leaseMs: number,
  ): Promise<StoredRun | undefined> {
    const now = await this.leaseClock();
    const candidates: Pick<RunRow, 'id'>[] = await this.db('model_ops_runs')
      .select('id')
      .whereIn('status', ACTIVE_RUN_STATUSES as RunStatus[])
      .andWhere(builder =>
        builder.whereNull('lease_owner').orWhere('lease_expires_at', '<', now),
      )
      .orderBy('created_at')
      .limit(5);
    for (const { id } of candidates) {
      const updated = await this.db('model_ops_runs')
        .where({ id })
        .whereIn('status', ACTIVE_RUN_STATUSES as RunStatus[])
        .andWhere(builder =>
          builder
            .whereNull('lease_owner')
            .orWhere('lease_expires_at', '<', now),
        )
        .update({
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + leaseMs),
        });
      if (updated === 1) {
        return this.getRun(id);
      }
    }
    return undefined;
  }

  /** Extends the lease; false when another replica has taken the run over. */
  async renewLease(
    id: string,
    owner: string,
    leaseMs: number,
  ): Promise<boolean> {
    const now = await this.leaseClock();
    const updated = await this.db('model_ops_runs')
      .where({ id, lease_owner: owner })
      .whereIn('status', ACTIVE_RUN_STATUSES as RunStatus[])
      .update({ lease_expires_at: new Date(now.getTime() + leaseMs) });
    return updated === 1;
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.db('model_ops_runs')
      .where({ id, lease_owner: owner })
      .update({ lease_owner: null, lease_expires_at: null });
  }

  /** Updates a run while holding its lease; false when the lease was lost. */
  async updateRun(
    id: string,
    owner: string,
    changes: RunChanges,
  ): Promise<boolean> {
    const row: Partial<RunRow> = {};
    if (changes.status !== undefined) row.status = changes.status;
    if (changes.stage !== undefined) row.stage = changes.stage;
    if (changes.error !== undefined) row.error = changes.error;
    if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
    if (changes.finishedAt !== undefined) row.finished_at = changes.finishedAt;
    if (changes.previousVersion !== undefined) {
      row.previous_version = changes.previousVersion;
    }
    const updated = await this.db('model_ops_runs')
      .where({ id, lease_owner: owner })
      .update(row);
    return updated === 1;
  }

  async updateStage(
    runId: string,
    name: StageName,
    update: StageUpdate,
    owner: string,
  ): Promise<boolean> {
    const row: Partial<StageRow> = {};
    if (update.status !== undefined) row.status = update.status;
    if (update.startedAt !== undefined) row.started_at = update.startedAt;
    if (update.finishedAt !== undefined) row.finished_at = update.finishedAt;
    if (update.checks !== undefined) row.checks = JSON.stringify(update.checks);
    if (update.errors !== undefined) row.errors = JSON.stringify(update.errors);
    if (update.metrics !== undefined)
      row.metrics = JSON.stringify(update.metrics);
    // Fenced in the same statement: nothing is written once another worker holds the run.
    const updated = await this.db('model_ops_run_stages')
      .where({ run_id: runId, name })
      .whereExists(
        this.db('model_ops_runs')
          .select('id')
          .where({ id: runId, lease_owner: owner }),
      )
      .update(row);
    return updated === 1;
  }

  /** Marks an active run for cancellation; the worker stops at the next safe point. */
  async requestCancel(id: string): Promise<StoredRun> {
    const run = await this.getRunOrThrow(id);
    if (!ACTIVE_RUN_STATUSES.includes(run.status)) {
      throw new ConflictError(
        `Run ${id} is ${run.status}; only an active run can be cancelled`,
      );
    }
    await this.db('model_ops_runs')
      .where({ id })
      .whereIn('status', ACTIVE_RUN_STATUSES as RunStatus[])
      .update({ cancel_requested: true });
    return (await this.getRun(id))!;
  }

  /** Stores the canary state of a run (while holding its lease). */
  async setCanary(
    id: string,
    owner: string,
    canary: CanaryState,
  ): Promise<boolean> {
    const updated = await this.db('model_ops_runs')
      .where({ id, lease_owner: owner })
      .update({ canary: JSON.stringify(canary) });
    return updated === 1;
  }

  /** Asks the worker of an active canary run to promote or abort it. */
  async requestCanaryCommand(
    id: string,
    command: 'promote' | 'abort',
  ): Promise<StoredRun> {
    const run = await this.getRunOrThrow(id);
    if (
      !ACTIVE_RUN_STATUSES.includes(run.status) ||
      !run.canary ||
      (run.canary.status !== 'progressing' && run.canary.status !== 'paused')
    ) {
      throw new ConflictError(
        `Run ${id} has no canary in progress to ${command}`,
      );
    }
    await this.db('model_ops_runs')
      .where({ id })
      .update({ canary_command: command });
    return (await this.getRun(id))!;
  }

  /** Reads and clears the pending canary command. */
  async takeCanaryCommand(
    id: string,
  ): Promise<'promote' | 'abort' | undefined> {
    const row = await this.db('model_ops_runs')
      .select('canary_command')
      .where({ id })
      .first();
    const command = row?.canary_command as
      | 'promote'
      | 'abort'
      | null
      | undefined;
    if (command) {
      await this.db('model_ops_runs')
        .where({ id, canary_command: command })
        .update({ canary_command: null });
    }
    return command ?? undefined;
  }

  /** The newest run of a model that carries canary state. */
  async latestCanaryRun(modelId: string): Promise<StoredRun | undefined> {
    const row: RunRow | undefined = await this.db('model_ops_runs')
      .where({ model_id: modelId })
      .whereNotNull('canary')
      .orderBy('created_at', 'desc')
      .first();
    return row ? this.getRun(row.id) : undefined;
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const row: Pick<RunRow, 'cancel_requested'> | undefined = await this.db(
      'model_ops_runs',
    )
      .select('cancel_requested')
      .where({ id })
      .first();
    return Boolean(row?.cancel_requested);
  }

  /** Versions that reached production in a succeeded deploy run, newest first. */
  async listSucceededVersions(modelId: string): Promise<SucceededVersion[]> {
    const rows: RunRow[] = await this.db('model_ops_runs')
      .where({ model_id: modelId, status: 'succeeded' })
      .orderBy('finished_at', 'desc');
    const seen = new Set<string>();
    const result: SucceededVersion[] = [];
    for (const row of rows) {
      if (seen.has(row.version)) continue;
      seen.add(row.version);
      result.push({
        version: row.version,
        uri: row.artifact_uri,
        sha256: row.sha256 ?? undefined,
        finishedAt: iso(row.finished_at)!,
        runtimeConfig: (fromJson<Record<string, unknown>>(row.config, {})
          .runtime ?? {}) as JsonObject,
      });
    }
    return result;
  }

  private static toRun(row: RunRow, stages: StageRow[]): StoredRun {
    return {
      id: row.id,
      modelId: row.model_id,
      entityRef: row.entity_ref,
      kind: row.kind as DeploymentRun['kind'],
      version: row.version,
      artifact: { uri: row.artifact_uri, sha256: row.sha256 ?? undefined },
      config: fromJson<Record<string, unknown>>(row.config, {}),
      strategy: row.strategy as DeploymentStrategy,
      runtime: row.runtime,
      rules: row.rules,
      canary: fromJson<CanaryState | undefined>(row.canary, undefined),
      canaryCommand:
        (row.canary_command as DeploymentRun['canaryCommand'] | null) ??
        undefined,
      status: row.status as RunStatus,
      stage: (row.stage as StageName | null) ?? undefined,
      previousVersion: row.previous_version ?? undefined,
      error: row.error ?? undefined,
      createdBy: row.created_by ?? undefined,
      cancelRequested: Boolean(row.cancel_requested),
      createdAt: iso(row.created_at)!,
      startedAt: iso(row.started_at),
      finishedAt: iso(row.finished_at),
      leaseOwner: row.lease_owner ?? undefined,
      leaseExpiresAt: row.lease_expires_at
        ? toDate(row.lease_expires_at)
        : undefined,
      stages: stages.map(DatabaseRunStore.toStage),
    };
  }

  private static toStage(row: StageRow): DeploymentStage {
    const startedAt = iso(row.started_at);
    const finishedAt = iso(row.finished_at);
    return {
      name: row.name as StageName,
      status: row.status as StageStatus,
      startedAt,
      finishedAt,
      durationMs:
        startedAt && finishedAt
          ? new Date(finishedAt).getTime() - new Date(startedAt).getTime()
          : undefined,
      checks: fromJson(row.checks, []),
      errors: fromJson(row.errors, []),
      metrics: fromJson(row.metrics, {}),
    };
  }

  private static encodeCursor(createdAt: Date, id: string): string {
    return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString(
      'base64url',
    );
  }

  private static decodeCursor(cursor: string): { createdAt: Date; id: string } {
    try {
      const [createdAt, id] = JSON.parse(
        Buffer.from(cursor, 'base64url').toString('utf8'),
      );
      const date = new Date(createdAt);
      // What the database can compare: a run id is a UUID (a text column on SQLite, a uuid on
      // PostgreSQL, which refuses anything else) and a time within the years 1970 to 9999.
      if (
        typeof createdAt !== 'string' ||
        typeof id !== 'string' ||
        !CURSOR_ID.test(id) ||
        !(date.getTime() >= 0 && date.getTime() <= LAST_CURSOR_TIME)
      ) {
        throw new Error('bad cursor');
      }
      return { createdAt: date, id };
    } catch {
      throw new InputError(
        'Invalid cursor: pass the nextCursor of a previous page',
      );
    }
  }
}
