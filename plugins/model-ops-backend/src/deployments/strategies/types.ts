import {
  CanaryState,
  DeploymentStrategy,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import { ModelStore } from '../../models';
import { FetchedArtifact } from '../ArtifactFetcher';
import { CanaryOptions } from '../options';
import { ProductionStep, ProductionSwitch } from '../ProductionSwitch';
import { StoredRun, SucceededVersion } from '../RunStore';
import { StageContext } from '../StageRecorder';

/**
 * Where a slot stands, as the model store shows it.
 *
 * @internal
 */
export type SlotMark = 'empty' | 'starting' | 'running';

/**
 * What a production strategy works with. Everything it learns goes back through this context
 * (the recorder, `reached`, `saveCanary`) or its outcome: the run executor is the one writer of
 * the run's state.
 *
 * @internal
 */
export interface ProductionContext extends StageContext {
  run: StoredRun;
  fetched: FetchedArtifact;
  /** The color serving production before this stage, when one does. */
  active?: 'blue' | 'green';
  /** The version in production before this stage, when there is one. */
  previousVersion?: string;
  /** Absent when the backend runs no switching: then every strategy replaces in place. */
  switching?: ProductionSwitch;
  canary: CanaryOptions;
  /** The model's stored state (versions, production version), which strategies keep current. */
  models: ModelStore;
  /** Stores what a slot runs and its share of traffic. */
  markSlot(
    slot: SlotName,
    version: string | undefined,
    state: SlotMark,
    weight?: number,
  ): Promise<void>;
  /** A named step of the stage was reached. */
  reached(step: ProductionStep): Promise<void>;
  saveCanary(state: CanaryState): Promise<void>;
  /** Reads and clears a promote or abort asked for by hand. */
  takeCanaryCommand(): Promise<'promote' | 'abort' | undefined>;
  succeededVersions(): Promise<SucceededVersion[]>;
  now(): Date;
}

/**
 * How the production stage of a run ended.
 *
 * @internal
 */
export interface ProductionOutcome {
  status: 'succeeded' | 'rolled_back' | 'failed';
  /** Recorded on the run as the version production ran before; unchanged when undefined. */
  previousVersion?: string | null;
}

/**
 * One way of bringing a version into production.
 *
 * @internal
 */
export interface ProductionStrategy {
  readonly name: DeploymentStrategy;
  /** Whether the strategy can run for this context; the dispatcher falls back to recreate. */
  canDeploy(ctx: ProductionContext): boolean;
  deploy(ctx: ProductionContext): Promise<ProductionOutcome>;
}
