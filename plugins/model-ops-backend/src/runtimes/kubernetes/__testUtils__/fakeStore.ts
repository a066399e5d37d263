import { FakeApiError } from './fakeErrors';

/** The resource kinds the fake stores, by their plural as in API paths. */
export type FakeKind = 'deployments' | 'services' | 'httproutes' | 'pods';

/** An object as the fake stores it: JSON, with the metadata the API server sets. */
export interface FakeObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    generation?: number;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

/** An answer: the HTTP status and the body. */
export type FakeAnswer = [number, unknown];

const GROUPS: Partial<Record<FakeKind, string>> = {
  deployments: '.apps',
  httproutes: '.gateway.networking.k8s.io',
};

function isPlainObject(value: unknown): value is Record<string, any> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) {
    return patch;
  }
  const result: Record<string, any> = isPlainObject(target)
    ? { ...target }
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = jsonMergePatch(result[key], value);
    }
  }
  return result;
}

export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`), as the runtime sends them. */
function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: string | undefined,
): boolean {
  if (!selector) {
    return true;
  }
  return selector
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
    .every(term => {
      const neq = term.indexOf('!=');
      if (neq > 0) {
        return labels?.[term.slice(0, neq)] !== term.slice(neq + 2);
      }
      const eq = term.indexOf('=');
      if (eq > 0) {
        const key = term.slice(0, eq);
        const value = term.slice(eq + (term[eq + 1] === '=' ? 2 : 1));
        return labels?.[key] === value;
      }
      return labels !== undefined && term in labels;
    });
}

/**
 * The fake's storage: objects by kind, namespace and name, with the little the API server does
 * on a write (uid, resourceVersion, generation, a Service's clusterIP). What a Deployment's status
 * says is left to `onDeploymentWrite`, since in a cluster a controller decides it.
 */
export class FakeObjectStore {
  readonly #objects = new Map<string, FakeObject>();
  readonly #onDeploymentWrite: (deployment: FakeObject) => void;
  #resourceVersion = 1000;
  #uid = 0;
  #clusterIp = 10;

  constructor(options: {
    onDeploymentWrite: (deployment: FakeObject) => void;
  }) {
    this.#onDeploymentWrite = options.onDeploymentWrite;
  }

  /** The stored object itself (not a copy), for the fake's own updates. */
  find(
    kind: FakeKind,
    namespace: string,
    name: string,
  ): FakeObject | undefined {
    return this.#objects.get(this.#key(kind, namespace, name));
  }

  names(kind: FakeKind, namespace: string): string[] {
    const prefix = `${kind}/${namespace}/`;
    return [...this.#objects.keys()]
      .filter(k => k.startsWith(prefix))
      .map(k => k.slice(prefix.length))
      .sort();
  }

  /** Stores an object as is, adding only the metadata it lacks. */
  put(kind: FakeKind, object: any, namespace: string): void {
    const stored = clone(object);
    stored.metadata = {
      namespace,
      uid: `uid-${++this.#uid}`,
      resourceVersion: String(++this.#resourceVersion),
      creationTimestamp: new Date().toISOString(),
      ...stored.metadata,
    };
    this.#objects.set(this.#key(kind, namespace, stored.metadata.name), stored);
  }

  list(
    kind: FakeKind,
    listKind: string,
    apiVersion: string,
    namespace: string,
    labelSelector: string | undefined,
  ): FakeAnswer {
    const prefix = `${kind}/${namespace}/`;
    const items = [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, v]) => v)
      .filter(o => matchesSelector(o.metadata?.labels, labelSelector))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    return [
      200,
      {
        kind: listKind,
        apiVersion,
        metadata: { resourceVersion: String(this.#resourceVersion) },
        items,
      },
    ];
  }

  create(kind: FakeKind, namespace: string, body: unknown): FakeAnswer {
    if (!isPlainObject(body) || !body.metadata?.name) {
      throw new FakeApiError(400, 'BadRequest', 'the object has no name');
    }
    if (body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw new FakeApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const key = this.#key(kind, namespace, body.metadata.name);
    if (this.#objects.has(key)) {
      throw new FakeApiError(
        409,
        'AlreadyExists',
        `${kind} "${body.metadata.name}" already exists`,
      );
    }
    const created = this.#admit(kind, undefined, body, namespace);
    this.#objects.set(key, created);
    return [201, created];
  }

  read(kind: FakeKind, namespace: string, name: string): FakeAnswer {
    return [200, this.#existing(kind, namespace, name)];
  }

  delete(kind: FakeKind, namespace: string, name: string): FakeAnswer {
    this.#existing(kind, namespace, name);
    this.#objects.delete(this.#key(kind, namespace, name));
    return [
      200,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, kind },
      },
    ];
  }

  replace(
    kind: FakeKind,
    namespace: string,
    name: string,
    body: unknown,
  ): FakeAnswer {
    const existing = this.#existing(kind, namespace, name);
    if (!isPlainObject(body) || body.metadata?.name !== name) {
      throw new FakeApiError(400, 'BadRequest', 'the name does not match');
    }
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata.resourceVersion) {
      throw new FakeApiError(409, 'Conflict', 'the object has been modified');
    }
    const replaced = this.#admit(kind, existing, body, namespace);
    this.#objects.set(this.#key(kind, namespace, name), replaced);
    return [200, replaced];
  }

  /**
   * Applies a merge patch. A strategic merge patch is taken as one (close enough for the
   * runtime, which sends only merge patches); other patch types get 415.
   */
  patch(
    kind: FakeKind,
    namespace: string,
    name: string,
    contentType: string | undefined,
    body: unknown,
  ): FakeAnswer {
    const existing = this.#existing(kind, namespace, name);
    const type = (contentType ?? '').split(';')[0].trim();
    if (
      type !== 'application/merge-patch+json' &&
      type !== 'application/strategic-merge-patch+json'
    ) {
      throw new FakeApiError(
        415,
        'UnsupportedMediaType',
        `the fake supports merge and strategic merge patches, not ${type}`,
      );
    }
    if (!isPlainObject(body)) {
      throw new FakeApiError(400, 'BadRequest', 'the patch is not an object');
    }
    // The status is the controllers' to write.
    const { status: _ignored, ...patch } = body;
    const merged = jsonMergePatch(clone(existing), patch);
    const patched = this.#admit(kind, existing, merged, namespace);
    this.#objects.set(this.#key(kind, namespace, name), patched);
    return [200, patched];
  }

  notFound(kind: FakeKind, name: string): FakeApiError {
    return new FakeApiError(
      404,
      'NotFound',
      `${kind}${GROUPS[kind] ?? ''} "${name}" not found`,
    );
  }

  #existing(kind: FakeKind, namespace: string, name: string): FakeObject {
    const existing = this.#objects.get(this.#key(kind, namespace, name));
    if (!existing) {
      throw this.notFound(kind, name);
    }
    return existing;
  }

  /** What the API server would store for `body`, given the `existing` object. */
  #admit(
    kind: FakeKind,
    existing: FakeObject | undefined,
    body: unknown,
    namespace: string,
  ): FakeObject {
    const object = clone(body) as FakeObject;
    object.metadata = {
      ...object.metadata,
      namespace,
      name: existing?.metadata.name ?? object.metadata.name,
      uid: existing?.metadata.uid ?? `uid-${++this.#uid}`,
      creationTimestamp:
        existing?.metadata.creationTimestamp ?? new Date().toISOString(),
      resourceVersion: String(++this.#resourceVersion),
    };
    if (kind === 'services') {
      object.spec = {
        ...object.spec,
        clusterIP: existing?.spec?.clusterIP ?? `10.96.0.${++this.#clusterIp}`,
      };
    }
    if (kind === 'deployments' || kind === 'httproutes') {
      const changed =
        !existing ||
        JSON.stringify(existing.spec) !== JSON.stringify(object.spec);
      object.metadata.generation =
        (existing?.metadata.generation ?? 0) + (changed ? 1 : 0);
    }
    if (kind === 'deployments') {
      object.status = clone(existing?.status) ?? {};
      this.#onDeploymentWrite(object);
    } else if (existing?.status) {
      object.status = clone(existing.status);
    }
    return object;
  }

  #key(kind: FakeKind, namespace: string, name: string) {
    return `${kind}/${namespace}/${name}`;
  }
}
