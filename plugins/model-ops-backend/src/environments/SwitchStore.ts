import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { TrafficWeights } from '@model-ops/plugin-model-ops-node';

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
  /** The weights the switch sets, recorded before they are set. */
  weights?: TrafficWeights;
  /** The process that holds the switch; the store's default owner when absent. */
  owner?: string;
  /** How long the owner holds the switch without renewing; the store's default when absent. */
  leaseSeconds?: number;
}

/**
 * What production should serve, as the database says.
 *
 * @internal
 */
export interface ActiveColor {
  entityRef: string;
  slot?: SlotName;
  version?: string;
}

/**
 * A switch in progress as its lease shows it.
 *
 * @internal
 */
export interface SwitchIntent {
  record: SwitchRecord;
  weights?: TrafficWeights;
  owner?: string;
  /** Absent for switches recorded before leases existed: they count as expired. */
  leaseExpiresAt?: Date;
}

/**
 * A switch whose owner's lease had run out, now held by the one that took it over.
 *
 * @internal
 */
export interface TakenOverSwitch extends SwitchIntent {
  /** Who held it before. */
  previousOwner?: string;
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
  /** Fences the commit: it only happens while this owner still holds the switch. */
  owner?: string;
}

/**
 * How a switch that did not hold ended.
 *
 * @internal
 */
export interface SwitchOutcome {
  status: 'failed' | 'rolled_back';
  error: string;
  checks: StageCheck[];
  /** Fences the write: it only happens while this owner still holds the switch. */
  owner?: string;
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
   * when it was not `from` any more, or when `owner` no longer holds the switch), the weights
   * are stored and the switch is closed.
   */
  commit(id: string, change: SwitchCommit): Promise<void>;
  /**
   * Closes a switch that moved weights but not the active color (a canary abort, a repair);
   * a ConflictError when `owner` is given and no longer holds it.
   */
  close(id: string, checks: StageCheck[], owner?: string): Promise<void>;
  /** Ends a switch that did not hold; a ConflictError when `owner` no longer holds it. */
  fail(id: string, outcome: SwitchOutcome): Promise<void>;
  /**
   * Extends the owner's lease by `seconds` from the database's now (0 lets it run out at once,
   * for another pass to retry). False when the owner no longer holds the switch.
   */
  renew(id: string, owner: string, seconds: number): Promise<boolean>;
  /**
   * Takes over every switch in progress (of one model, or of all) whose lease has run out, by
   * compare-and-set on its owner, so of two that try one gets each switch.
   */
  takeOverExpired(options: {
    owner: string;
    leaseSeconds: number;
    modelId?: string;
  }): Promise<TakenOverSwitch[]>;
  /** Removes a switch in progress that moved nothing (a repair that found nothing to do). */
  discard(id: string, owner: string): Promise<void>;
  /** The model's switch in progress, when there is one. */
  inProgress(modelId: string): Promise<SwitchIntent | undefined>;
  /**
   * The model's active color and production version, as the last commit left them; undefined
   * for a model never acted on.
   */
  activeColor(modelId: string): Promise<ActiveColor | undefined>;
  get(id: string): Promise<SwitchRecord | undefined>;
  /** A model's switches, newest first. */
  list(modelId: string, limit?: number): Promise<SwitchRecord[]>;
  /** The newest switch that succeeded, the one a rollback-switch reverses. */
  lastSucceeded(modelId: string): Promise<SwitchRecord | undefined>;
  /** Idle colors whose warm period is over, to be stopped. */
  expiredWarmSlots(): Promise<Array<{ modelId: string; slot: SlotName }>>;
  warmUntil(modelId: string, slot: SlotName): Promise<Date | undefined>;
  /**
   * Shows a stopped idle color as stopped, with nothing in it. With `version`, only while the
   * color still runs that version (a run may have deployed into it since).
   */
  clearWarm(modelId: string, slot: SlotName, version?: string): Promise<void>;
}
