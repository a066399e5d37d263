import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';

/**
 * A switch as it is opened.
 *
 * @internal
 */
export interface NewSwitch {
  id: string;
  modelId: string;
  kind: SwitchKind;
  from?: SlotName;
  to: SlotName;
  fromVersion?: string;
  toVersion?: string;
  requestedBy?: string;
  reason?: string;
  runId?: string;
}

/**
 * What a switch that held changes: the model's active color and production version, and the
 * traffic weights of both colors.
 *
 * @internal
 */
export interface SwitchCommit {
  modelId: string;
  from?: SlotName;
  to: SlotName;
  toVersion?: string;
  /** The old color stays running until then, for instant rollback. */
  warmUntil?: Date;
  checks: StageCheck[];
}

/**
 * The switch history, and the transaction that moves a model's active color.
 *
 * @internal
 */
export interface SwitchStore {
  /**
   * Opens a switch. At most one switch per model can be in progress, so of two concurrent
   * requests one wins and the other gets a ConflictError.
   */
  begin(record: NewSwitch): Promise<SwitchRecord>;
  recordChecks(id: string, checks: StageCheck[]): Promise<void>;
  /**
   * Ends a switch that held: in one transaction the model's active color moves from `from` to
   * `to` (a compare-and-set, so exactly one color is active whatever else runs; a ConflictError
   * when it was not `from` any more), the weights are stored and the switch is closed.
   */
  commit(id: string, change: SwitchCommit): Promise<void>;
  /** Closes a switch that moved weights but not the active color (a canary abort). */
  close(id: string, checks: StageCheck[]): Promise<void>;
  fail(
    id: string,
    outcome: {
      status: 'failed' | 'rolled_back';
      error: string;
      checks: StageCheck[];
    },
  ): Promise<void>;
  get(id: string): Promise<SwitchRecord | undefined>;
  /** A model's switches, newest first. */
  list(modelId: string, limit?: number): Promise<SwitchRecord[]>;
  /** The newest switch that succeeded, the one a rollback-switch reverses. */
  lastSucceeded(modelId: string): Promise<SwitchRecord | undefined>;
  /** Idle colors whose warm period is over, to be stopped. */
  expiredWarmSlots(): Promise<Array<{ modelId: string; slot: SlotName }>>;
  warmUntil(modelId: string, slot: SlotName): Promise<Date | undefined>;
  /** Shows a stopped idle color as stopped, with nothing in it. */
  clearWarm(modelId: string, slot: SlotName): Promise<void>;
}
