import { JsonObject } from '@backstage/types';
import { SlotName } from '@model-ops/plugin-model-ops-common';

/**
 * A model artifact: where its files are and the checksum they must have.
 *
 * @public
 */
export interface ModelArtifact {
  /** `file://` or `http(s)://` location of the artifact (a directory or an archive). */
  uri: string;
  sha256?: string;
  /** The version the artifact holds; servers report it in the `x-model-version` header. */
  version: string;
  /** A local directory the pipeline has already fetched and verified the artifact into. */
  localPath?: string;
}

/**
 * The model a runtime call is about.
 *
 * @public
 */
export interface RuntimeModelRef {
  modelId: string;
  entityRef: string;
}

/**
 * Where a deployed slot can be reached.
 *
 * @public
 */
export interface RuntimeEndpoint {
  /** Base URL of the slot, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
}

/**
 * The health of one slot as the runtime sees it.
 *
 * @public
 */
export interface SlotHealth {
  slot: SlotName;
  status: 'healthy' | 'unhealthy' | 'starting' | 'absent';
  version?: string;
  message?: string;
  checkedAt: Date;
}

/**
 * Share of production traffic per slot, 0 to 100; the weights sum to 100.
 *
 * @public
 */
export type TrafficWeights = Partial<Record<SlotName, number>>;

/**
 * What a runtime reports of a model: its slots and the stable endpoint production traffic uses.
 *
 * @public
 */
export interface RuntimeDescription {
  /** The stable endpoint (router, Service) that production traffic uses. */
  productionEndpoint?: string;
  slots: Array<{
    slot: SlotName;
    version?: string;
    endpoint?: string;
    status: SlotHealth['status'];
    /** Runtime-specific facts, e.g. a process id or a Deployment name. */
    details?: JsonObject;
  }>;
  traffic: TrafficWeights;
}

/**
 * A place models run: the built-in `local` (child processes) and `kubernetes` runtimes, or one a
 * company adds in a backend module through {@link modelOpsRuntimesExtensionPoint}.
 *
 * A runtime knows nothing of pipelines or switches: it deploys what it is told into a slot,
 * reports health and moves traffic weights. Every method must be idempotent, since a pipeline
 * stage that is resumed on another backend replica repeats the call.
 *
 * @public
 */
export interface ModelRuntime {
  /** The id models name in their `model-ops/runtime` annotation. */
  readonly id: string;
  /**
   * JSON Schema of the per-deployment `config` this runtime accepts (resources, replicas, ...);
   * the validation stage checks deployments against it.
   */
  readonly configSchema: JsonObject;
  /** Frameworks this runtime can serve, e.g. `['model-server/v1']`; checked at validation. */
  readonly frameworks: readonly string[];

  deploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    artifact: ModelArtifact;
    config: JsonObject;
  }): Promise<RuntimeEndpoint>;
  undeploy(request: { model: RuntimeModelRef; slot: SlotName }): Promise<void>;
  setTraffic(request: {
    model: RuntimeModelRef;
    weights: TrafficWeights;
  }): Promise<void>;
  getTraffic(request: { model: RuntimeModelRef }): Promise<TrafficWeights>;
  health(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<SlotHealth>;
  describe(request: { model: RuntimeModelRef }): Promise<RuntimeDescription>;
  /** The last lines of a slot's log, newest last, where the runtime keeps them. */
  logs?(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    lines: number;
  }): Promise<string[]>;
}
