import { ConflictError } from '@backstage/errors';
import {
  ANNOTATION_RUNTIME,
  EXTERNAL_RUNTIME,
  ModelSpec,
} from '@model-ops/plugin-model-ops-common';

/**
 * Whether a model is one Model Ops does not deploy (`model-ops/runtime: external`): it has no
 * pipeline, slots or switches, only monitoring, alerts and incidents.
 *
 * @internal
 */
export function isExternalModel(spec: Pick<ModelSpec, 'runtime'>): boolean {
  return spec.runtime === EXTERNAL_RUNTIME;
}

/**
 * Refuses a deployment, rollback or switch of an external model with a 409 naming the
 * annotation, before anything is written.
 *
 * @internal
 */
export function assertDeployable(
  spec: Pick<ModelSpec, 'runtime' | 'modelId'>,
  action: string,
): void {
  if (isExternalModel(spec)) {
    throw new ConflictError(
      `${spec.modelId} cannot be ${action}: it has ${ANNOTATION_RUNTIME}: ${EXTERNAL_RUNTIME}, so Model Ops does not deploy it and has no pipeline, slots or traffic of it; only its monitoring and alerts are here`,
    );
  }
}
