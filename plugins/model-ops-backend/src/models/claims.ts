import {
  ANNOTATION_MODEL_ID,
  ModelSpecProblem,
} from '@model-ops/plugin-model-ops-common';
import { ModelClaim } from './types';

/** An entity that declares a valid model id, as the index read it. */
export interface Claimant {
  entityRef: string;
  uid?: string;
  modelId: string;
}

/** Orders claimants by uid (by ref when they have none, as only in tests). */
export function byUidOrder(a: Claimant, b: Claimant): number {
  return (a.uid ?? a.entityRef).localeCompare(b.uid ?? b.entityRef);
}

/**
 * The claim on every model id the claimants declare. `owners` is what the claim store recorded
 * (see ClaimStore.ts); without it, or for an id it does not name, the first by uid owns the id.
 * An entity without a uid (only in tests; the catalog gives every entity one) is ordered by its
 * ref. A recorded owner may be none of the claimants (it left the catalog and the transfer delay
 * has not passed): then every claimant is a rival.
 */
export function claimTable(
  claimants: Claimant[],
  owners?: Map<string, string>,
): Map<string, ModelClaim> {
  const byUid = [...claimants].sort(byUidOrder);
  const table = new Map<string, ModelClaim>();
  for (const { modelId, entityRef } of byUid) {
    let claim = table.get(modelId);
    if (!claim) {
      claim = {
        modelId,
        ownerRef: owners?.get(modelId) ?? entityRef,
        rivals: [],
      };
      table.set(modelId, claim);
    }
    if (claim.ownerRef !== entityRef) claim.rivals.push(entityRef);
  }
  return table;
}

/** Whether the table already holds this entity's claim on this id. */
export function isKnownClaim(
  table: Map<string, ModelClaim>,
  entityRef: string,
  modelId: string,
): boolean {
  const claim = table.get(modelId);
  return (
    !!claim &&
    (claim.ownerRef === entityRef || claim.rivals.includes(entityRef))
  );
}

/**
 * An entity's claim as the table has it. An entity the table does not know (registered after
 * the last read of the catalog) comes after every claimant it has, so it owns only an id
 * nobody else declares.
 */
export function claimOf(
  table: Map<string, ModelClaim>,
  entityRef: string,
  modelId: string,
): ModelClaim {
  const claim = table.get(modelId);
  if (!claim) return { modelId, ownerRef: entityRef, rivals: [] };
  if (isKnownClaim(table, entityRef, modelId)) return claim;
  return { ...claim, rivals: [...claim.rivals, entityRef] };
}

/**
 * What an entity's page says of its claim: on a rival, an error (it is neither monitored nor
 * deployed); on an owner with rivals, a warning that leaves it working.
 */
export function claimProblems(
  claim: ModelClaim | undefined,
  entityRef: string,
): ModelSpecProblem[] {
  if (!claim) return [];
  const base = { annotation: ANNOTATION_MODEL_ID, value: claim.modelId };
  if (claim.ownerRef !== entityRef) {
    return [
      {
        ...base,
        message: `model id ${claim.modelId} is already declared by ${claim.ownerRef}`,
      },
    ];
  }
  if (claim.rivals.length === 0) return [];
  return [
    {
      ...base,
      severity: 'warning',
      message: `model id ${
        claim.modelId
      } is also declared by ${claim.rivals.join(
        ', ',
      )}, which may not act on it: this entity declared it first and owns it`,
    },
  ];
}
