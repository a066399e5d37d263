import { ConflictError } from '@backstage/errors';
import { V1Deployment, V1Service } from '@kubernetes/client-node';
import { KubernetesClient } from './client';
import {
  ANNOTATION_SPEC_HASH,
  HttpRoute,
  LABEL_MANAGED_BY,
  MANAGED_BY,
} from './resources';

/*
 * Create-or-patch of the objects the runtime owns. Each function reads first, so that a repeated
 * call writes nothing, and refuses to touch an object of the same name that someone else made.
 * A create that loses a race with another backend replica falls through to the patch.
 */

type Labelled = { metadata?: { labels?: Record<string, string> } };

function sameStringMap(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.join('\0') === kb.join('\0') && ka.every(k => a![k] === b![k]);
}

function includesLabels(
  actual: Record<string, string> | undefined,
  wanted: Record<string, string> | undefined,
): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => actual?.[k] === v);
}

/**
 * Whether model-ops made an object (it carries the managed-by label).
 *
 * @internal
 */
export function isManaged(object: Labelled | undefined): boolean {
  return object?.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY;
}

function assertManaged(
  client: KubernetesClient,
  kind: string,
  name: string,
  existing: Labelled | undefined,
) {
  if (existing && !isManaged(existing)) {
    throw new ConflictError(
      `The ${kind} ${client.where(
        name,
      )} exists but is not managed by model-ops (no label ${LABEL_MANAGED_BY}=${MANAGED_BY}); not changing it`,
    );
  }
}

/**
 * Creates or patches a slot's Deployment; false when it already carried `hash`.
 *
 * @internal
 */
export async function applyDeployment(
  client: KubernetesClient,
  desired: V1Deployment,
  hash: string,
): Promise<boolean> {
  const name = desired.metadata!.name!;
  const existing = await client.readDeployment(name);
  assertManaged(client, 'Deployment', name, existing);
  if (existing?.metadata?.annotations?.[ANNOTATION_SPEC_HASH] === hash) {
    return false;
  }
  if (!existing && (await client.createDeployment(desired))) {
    return true;
  }
  // A JSON merge patch replaces lists (containers, env, args) as a whole, so nothing of an
  // older spec survives in them.
  await client.patchDeployment(name, {
    metadata: {
      labels: desired.metadata!.labels,
      annotations: desired.metadata!.annotations,
    },
    spec: desired.spec,
  });
  return true;
}

function portsOf(service: V1Service | undefined): string {
  return JSON.stringify(
    (service?.spec?.ports ?? []).map(p => [p.name, p.port, p.targetPort]),
  );
}

/**
 * Creates a Service or patches its labels, annotations, selector and ports.
 *
 * @internal
 */
export async function applyService(
  client: KubernetesClient,
  desired: V1Service,
): Promise<void> {
  const name = desired.metadata!.name!;
  const existing = await client.readService(name);
  assertManaged(client, 'Service', name, existing);
  if (
    existing &&
    sameStringMap(existing.spec?.selector, desired.spec?.selector) &&
    includesLabels(existing.metadata?.labels, desired.metadata?.labels) &&
    includesLabels(
      existing.metadata?.annotations,
      desired.metadata?.annotations,
    ) &&
    portsOf(existing) === portsOf(desired)
  ) {
    return;
  }
  if (!existing && (await client.createService(desired))) {
    return;
  }
  // Selector keys the runtime does not set (none, normally) are removed.
  const selector: Record<string, string | null> = {
    ...desired.spec!.selector,
  };
  for (const key of Object.keys(existing?.spec?.selector ?? {})) {
    if (!(key in selector)) {
      selector[key] = null;
    }
  }
  await client.patchService(name, {
    metadata: {
      labels: desired.metadata!.labels,
      ...(desired.metadata!.annotations
        ? { annotations: desired.metadata!.annotations }
        : {}),
    },
    spec: { selector, ports: desired.spec!.ports },
  });
}

/**
 * Creates or patches an HTTPRoute.
 *
 * @internal
 */
export async function applyRoute(
  client: KubernetesClient,
  desired: HttpRoute,
): Promise<void> {
  const name = desired.metadata!.name!;
  const existing = await client.readRoute(name);
  assertManaged(client, 'HTTPRoute', name, existing);
  if (
    existing &&
    JSON.stringify(existing.spec) === JSON.stringify(desired.spec) &&
    includesLabels(existing.metadata?.labels, desired.metadata?.labels)
  ) {
    return;
  }
  if (!existing && (await client.createRoute(desired))) {
    return;
  }
  await client.patchRoute(name, {
    metadata: { labels: desired.metadata!.labels },
    // Lists are replaced whole; hostnames and parentRefs follow the settings.
    spec: { hostnames: null, ...desired.spec },
  });
}
