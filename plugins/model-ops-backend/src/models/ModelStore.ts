import {
  ModelStatus,
  ModelVersion,
  SlotName,
  SlotState,
} from '@model-ops/plugin-model-ops-common';

/**
 * What the plugin has stored of one model.
 *
 * @internal
 */
export interface StoredModel {
  modelId: string;
  entityRef: string;
  productionVersion?: string;
  activeSlot?: SlotName;
  status: ModelStatus;
  statusChangedAt?: Date;
  updatedAt: Date;
}

/**
 * Persistence of models, their slots and versions.
 *
 * @internal
 */
export interface ModelStore {
  /** The stored state of the given models; models never acted on are absent from the map. */
  getModels(modelIds: string[]): Promise<Map<string, StoredModel>>;
  getModel(modelId: string): Promise<StoredModel | undefined>;
  /** Every model that has a version in production. */
  listProductionModels(): Promise<StoredModel[]>;
  getSlots(modelId: string): Promise<SlotState[]>;
  /** The slots of many models, by model id (every id has an entry). */
  getSlotsMany(modelIds: string[]): Promise<Map<string, SlotState[]>>;
  getVersions(modelId: string): Promise<ModelVersion[]>;
  upsertModel(model: {
    modelId: string;
    entityRef: string;
    productionVersion?: string | null;
    activeSlot?: SlotName | null;
    status?: ModelStatus;
  }): Promise<void>;
  upsertSlot(
    modelId: string,
    slot: Omit<SlotState, 'active' | 'updatedAt'>,
  ): Promise<void>;
  upsertVersion(
    modelId: string,
    version: Omit<ModelVersion, 'registeredAt'> & { registeredAt?: string },
  ): Promise<void>;
}
