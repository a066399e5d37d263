import { DeploymentStrategy, ModelSpec, ModelSpecProblem } from './spec';

/**
 * A model's health as its rules judge it; `unknown` until metrics arrive.
 *
 * @public
 */
export type ModelStatus = 'unknown' | 'healthy' | 'warning' | 'critical';

/**
 * The slots a model can have in a runtime: `testing` holds the ephemeral instance a pipeline run
 * tests against, `staging` the candidate, `blue` and `green` the two production colors.
 *
 * @public
 */
export type SlotName = 'testing' | 'staging' | 'blue' | 'green';

/**
 * Every slot name.
 *
 * @public
 */
export const SLOT_NAMES: readonly SlotName[] = [
  'testing',
  'staging',
  'blue',
  'green',
];

/**
 * The two production colors.
 *
 * @public
 */
export const PRODUCTION_SLOTS: readonly SlotName[] = ['blue', 'green'];

/**
 * What the backend has stored of one slot.
 *
 * @public
 */
export interface SlotState {
  slot: SlotName;
  version?: string;
  endpoint?: string;
  state: 'empty' | 'starting' | 'running' | 'stopped' | 'failed';
  /** Share of production traffic, 0 to 100. */
  trafficWeight: number;
  active: boolean;
  updatedAt: string;
}

/**
 * A version the backend has seen for a model.
 *
 * @public
 */
export interface ModelVersion {
  version: string;
  artifactUri: string;
  sha256?: string;
  registeredAt: string;
  lastDeployedAt?: string;
  status: 'registered' | 'deployed' | 'retired' | 'failed';
}

/**
 * One model in the catalog joined with what the backend knows of it.
 *
 * @public
 */
export interface ModelSummary {
  entityRef: string;
  kind: string;
  namespace: string;
  name: string;
  title?: string;
  description?: string;
  owner?: string;
  /** The spec as declared; absent when the model id itself is bad. */
  spec?: ModelSpec;
  /** Every bad annotation; a model with problems is shown but never deployed. */
  problems: ModelSpecProblem[];
  status: ModelStatus;
  productionVersion?: string;
  activeSlot?: SlotName;
  /** Firing alerts; absent until the monitoring capability reports them. */
  openAlerts?: number;
  updatedAt?: string;
}

/**
 * `GET /models`.
 *
 * @public
 */
export interface ListModelsResponse {
  items: ModelSummary[];
}

/**
 * `GET /entities/:kind/:namespace/:name`.
 *
 * @public
 */
export interface ModelDetails extends ModelSummary {
  /** The stable endpoint production traffic uses (the router, a Service), while one runs. */
  productionEndpoint?: string;
  slots: SlotState[];
  versions: ModelVersion[];
  strategy?: DeploymentStrategy;
}
