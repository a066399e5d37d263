import { Entity } from '@backstage/catalog-model';
import { isModelEntity } from '@model-ops/plugin-model-ops-common';

/**
 * Whether the Model Ops tabs apply to an entity: it carries the `model-ops/model-id` annotation.
 *
 * @public
 */
export const isModelOpsAvailable = (entity: Entity): boolean =>
  isModelEntity(entity);
