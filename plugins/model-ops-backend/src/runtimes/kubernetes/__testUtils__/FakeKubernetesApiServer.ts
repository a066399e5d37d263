/**
 * A FAKE of the Kubernetes API server for tests: a real HTTP server on 127.0.0.1 that implements
 * only the endpoints the `kubernetes` runtime calls, keeps objects in memory and records every
 * request. It is not a Kubernetes API server: there is no admission, no defaulting beyond a few
 * fields, no watch, and no controllers — a test decides how a Deployment's rollout goes with
 * {@link FakeKubernetesApiServer.setRollout}.
 *
 * Implemented:
 * - `GET /apis` and `GET /apis/gateway.networking.k8s.io` (API discovery; see `gatewayApi`)
 * - `/apis/apps/v1/namespaces/{ns}/deployments[/{name}]`: list (labelSelector), create, get,
 *   replace, patch, delete
 * - `/api/v1/namespaces/{ns}/services[/{name}]`: the same
 * - `/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes[/{name}]`: the same, 404
 *   when the Gateway API is switched off
 * - `GET /api/v1/namespaces/{ns}/pods` (labelSelector) and `GET .../pods/{name}/log`, from pods a
 *   test adds with {@link FakeKubernetesApiServer.addPod}
 *
 * PATCH accepts `application/merge-patch+json` (RFC 7386) and, approximated as a merge patch,
 * `application/strategic-merge-patch+json`; other patch types get 415.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body?: any;
}

/**
 * How the fake reports a Deployment's rollout:
 * - `available`: every replica updated and available;
 * - `progressing`: replicas updated but none available yet (a rollout that never finishes);
 * - `degraded`: the rollout had completed, but no replica is available any more;
 * - `deadline-exceeded`: the controller gave up (`ProgressDeadlineExceeded`);
 * - `pending`: the controller has not observed the latest generation.
 */
export type FakeRollout =
  | 'available'
  | 'progressing'
  | 'degraded'
  | 'deadline-exceeded'
  | 'pending';

type Kind = 'deployments' | 'services' | 'httproutes' | 'pods';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

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

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

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

/** An in-memory fake of the parts of the Kubernetes API the runtime uses. See the file header. */
export class FakeKubernetesApiServer {
  /** Every request, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Whether `gateway.networking.k8s.io/v1` is served (discovery and HTTPRoutes). */
  gatewayApi: boolean;
  /** How the rollouts of Deployments without their own {@link setRollout} go. */
  defaultRollout: FakeRollout = 'available';
  readonly token: string;

  readonly #server: http.Server;
  readonly #objects = new Map<string, any>();
  readonly #rollouts = new Map<string, FakeRollout>();
  readonly #logs = new Map<string, string>();
  readonly #failures: Array<{
    method: string;
    path: RegExp;
    code: number;
    message: string;
  }> = [];
  #resourceVersion = 1000;
  #uid = 0;
  #clusterIp = 10;

  private constructor(options: { token: string; gatewayApi: boolean }) {
    this.token = options.token;
    this.gatewayApi = options.gatewayApi;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  /** Starts a fake on a free loopback port. */
  static async start(
    options: { token?: string; gatewayApi?: boolean } = {},
  ): Promise<FakeKubernetesApiServer> {
    const fake = new FakeKubernetesApiServer({
      token: options.token ?? 'fake-service-account-token',
      gatewayApi: options.gatewayApi ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>(resolve => this.#server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------
  // Test controls

  /** A stored object, or undefined. */
  get(kind: Kind, name: string, namespace = 'model-ops'): any {
    return clone(this.#objects.get(this.#key(kind, namespace, name)));
  }

  /** The names of the stored objects of a kind, sorted. */
  names(kind: Kind, namespace = 'model-ops'): string[] {
    const prefix = `${kind}/${namespace}/`;
    return [...this.#objects.keys()]
      .filter(k => k.startsWith(prefix))
      .map(k => k.slice(prefix.length))
      .sort();
  }

  /** Stores an object as is (for state a test starts from). */
  put(kind: Kind, object: any, namespace = 'model-ops'): void {
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

  /** Sets how a Deployment's rollout goes, now and for its later generations. */
  setRollout(name: string, rollout: FakeRollout, namespace = 'model-ops') {
    this.#rollouts.set(`${namespace}/${name}`, rollout);
    const key = this.#key('deployments', namespace, name);
    const deployment = this.#objects.get(key);
    if (deployment) {
      this.#updateStatus(deployment);
    }
  }

  /** Adds a pod with the given labels, container state and log. */
  addPod(options: {
    name: string;
    labels: Record<string, string>;
    namespace?: string;
    waiting?: { reason: string; message?: string };
    restartCount?: number;
    log?: string;
    creationTimestamp?: string;
  }): void {
    const namespace = options.namespace ?? 'model-ops';
    this.put(
      'pods',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: options.name,
          labels: options.labels,
          ...(options.creationTimestamp
            ? { creationTimestamp: options.creationTimestamp }
            : {}),
        },
        spec: { containers: [{ name: 'model-server', image: 'x' }] },
        status: {
          phase: options.waiting ? 'Pending' : 'Running',
          containerStatuses: [
            {
              name: 'model-server',
              image: 'x',
              imageID: '',
              ready: !options.waiting,
              restartCount: options.restartCount ?? 0,
              state: options.waiting
                ? { waiting: options.waiting }
                : { running: { startedAt: new Date().toISOString() } },
            },
          ],
        },
      },
      namespace,
    );
    if (options.log !== undefined) {
      this.#logs.set(`${namespace}/${options.name}`, options.log);
    }
  }

  /** Makes the next request matching method and path fail with `code`. */
  failNext(method: string, path: RegExp, code: number, message = 'injected') {
    this.#failures.push({ method, path, code, message });
  }

  /** Makes the next request matching method and path get no answer until the fake closes. */
  stallNext(method: string, path: RegExp) {
    this.#failures.push({ method, path, code: 0, message: 'stall' });
  }

  /** Recorded requests, optionally only those of a method whose path matches. */
  requestsMatching(method?: string, path?: RegExp): RecordedRequest[] {
    return this.requests.filter(
      r => (!method || r.method === method) && (!path || path.test(r.path)),
    );
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams.entries()),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body,
      };
      this.requests.push(recorded);
      let status = 200;
      let answer: unknown;
      try {
        if (req.headers.authorization !== `Bearer ${this.token}`) {
          throw new HttpError(401, 'Unauthorized', 'Unauthorized');
        }
        const failure = this.#failures.findIndex(
          f => f.method === recorded.method && f.path.test(recorded.path),
        );
        if (failure >= 0) {
          const [f] = this.#failures.splice(failure, 1);
          if (f.code === 0) {
            return; // no answer; close() ends the connection
          }
          throw new HttpError(f.code, 'Injected', f.message);
        }
        [status, answer] = this.#route(recorded);
      } catch (e) {
        const error =
          e instanceof HttpError
            ? e
            : new HttpError(500, 'InternalError', String(e));
        status = error.code;
        answer = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: error.message,
          reason: error.reason,
          code: error.code,
        };
      }
      if (typeof answer === 'string') {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(answer);
      } else {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }
    });
  }

  #route(r: RecordedRequest): [number, unknown] {
    const { method, path } = r;
    if (method === 'GET' && /^\/apis\/?$/.test(path)) {
      return [200, this.#groupList()];
    }
    if (
      method === 'GET' &&
      path.replace(/\/$/, '') === `/apis/${GATEWAY_GROUP}`
    ) {
      if (!this.gatewayApi) {
        throw this.#notFoundPath();
      }
      return [200, this.#gatewayGroup()];
    }
    let m = path.match(
      /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments(?:\/([^/]+))?$/,
    );
    if (m) {
      return this.#crud('deployments', 'Deployment', 'apps/v1', r, m[1], m[2]);
    }
    m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/);
    if (m) {
      return this.#crud('services', 'Service', 'v1', r, m[1], m[2]);
    }
    m = path.match(
      /^\/apis\/gateway\.networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/httproutes(?:\/([^/]+))?$/,
    );
    if (m) {
      if (!this.gatewayApi) {
        throw this.#notFoundPath();
      }
      return this.#crud(
        'httproutes',
        'HTTPRoute',
        `${GATEWAY_GROUP}/v1`,
        r,
        m[1],
        m[2],
      );
    }
    m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/);
    if (m && method === 'GET') {
      return this.#crud('pods', 'Pod', 'v1', r, m[1], undefined);
    }
    m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/);
    if (m && method === 'GET') {
      if (!this.#objects.has(this.#key('pods', m[1], m[2]))) {
        throw this.#notFound('pods', m[2]);
      }
      let log = this.#logs.get(`${m[1]}/${m[2]}`) ?? '';
      const tail = Number(r.query.tailLines);
      if (tail >= 0 && r.query.tailLines !== undefined) {
        const lines = log.split('\n');
        const trailing =
          lines[lines.length - 1] === '' ? lines.pop() : undefined;
        log = lines.slice(-tail).join('\n') + (trailing === '' ? '\n' : '');
      }
      return [200, log];
    }
    throw this.#notFoundPath();
  }

  #crud(
    kind: Kind,
    objectKind: string,
    apiVersion: string,
    r: RecordedRequest,
    namespace: string,
    name: string | undefined,
  ): [number, unknown] {
    if (!name) {
      if (r.method === 'GET') {
        const prefix = `${kind}/${namespace}/`;
        const items = [...this.#objects.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v)
          .filter(o =>
            matchesSelector(o.metadata?.labels, r.query.labelSelector),
          )
          .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
        return [
          200,
          {
            kind: `${objectKind}List`,
            apiVersion,
            metadata: { resourceVersion: String(this.#resourceVersion) },
            items,
          },
        ];
      }
      if (r.method === 'POST') {
        const body = r.body;
        if (!isPlainObject(body) || !body.metadata?.name) {
          throw new HttpError(400, 'BadRequest', 'the object has no name');
        }
        if (body.metadata.namespace && body.metadata.namespace !== namespace) {
          throw new HttpError(
            400,
            'BadRequest',
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        const key = this.#key(kind, namespace, body.metadata.name);
        if (this.#objects.has(key)) {
          throw new HttpError(
            409,
            'AlreadyExists',
            `${kind} "${body.metadata.name}" already exists`,
          );
        }
        const created = this.#admit(kind, undefined, body, namespace);
        this.#objects.set(key, created);
        return [201, created];
      }
      throw new HttpError(405, 'MethodNotAllowed', `${r.method} not allowed`);
    }

    const key = this.#key(kind, namespace, name);
    const existing = this.#objects.get(key);
    if (!existing) {
      throw this.#notFound(kind, name);
    }
    switch (r.method) {
      case 'GET':
        return [200, existing];
      case 'DELETE':
        this.#objects.delete(key);
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
      case 'PUT': {
        if (!isPlainObject(r.body) || r.body.metadata?.name !== name) {
          throw new HttpError(400, 'BadRequest', 'the name does not match');
        }
        const rv = r.body.metadata?.resourceVersion;
        if (rv && rv !== existing.metadata.resourceVersion) {
          throw new HttpError(409, 'Conflict', 'the object has been modified');
        }
        const replaced = this.#admit(kind, existing, r.body, namespace);
        this.#objects.set(key, replaced);
        return [200, replaced];
      }
      case 'PATCH': {
        const type = (r.contentType ?? '').split(';')[0].trim();
        if (
          type !== 'application/merge-patch+json' &&
          type !== 'application/strategic-merge-patch+json'
        ) {
          throw new HttpError(
            415,
            'UnsupportedMediaType',
            `the fake supports merge and strategic merge patches, not ${type}`,
          );
        }
        if (!isPlainObject(r.body)) {
          throw new HttpError(400, 'BadRequest', 'the patch is not an object');
        }
        const { status: _ignored, ...patch } = r.body;
        const merged = jsonMergePatch(clone(existing), patch) as any;
        const patched = this.#admit(kind, existing, merged, namespace);
        this.#objects.set(key, patched);
        return [200, patched];
      }
      default:
        throw new HttpError(405, 'MethodNotAllowed', `${r.method} not allowed`);
    }
  }

  /** What the API server would store for `body`, given the `existing` object. */
  #admit(kind: Kind, existing: any, body: any, namespace: string): any {
    const object = clone(body);
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
      this.#updateStatus(object);
    } else if (existing?.status) {
      object.status = clone(existing.status);
    }
    return object;
  }

  #updateStatus(deployment: any) {
    const rollout =
      this.#rollouts.get(
        `${deployment.metadata.namespace}/${deployment.metadata.name}`,
      ) ?? this.defaultRollout;
    const replicas = deployment.spec?.replicas ?? 1;
    const generation = deployment.metadata.generation ?? 1;
    const now = new Date().toISOString();
    const condition = (
      type: string,
      status: string,
      reason: string,
      message: string,
    ) => ({
      type,
      status,
      reason,
      message,
      lastUpdateTime: now,
      lastTransitionTime: now,
    });
    const name = deployment.metadata.name;
    switch (rollout) {
      case 'available':
        deployment.status = {
          observedGeneration: generation,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          conditions: [
            condition(
              'Available',
              'True',
              'MinimumReplicasAvailable',
              'Deployment has minimum availability.',
            ),
            condition(
              'Progressing',
              'True',
              'NewReplicaSetAvailable',
              `ReplicaSet "${name}-abc" has successfully progressed.`,
            ),
          ],
        };
        break;
      case 'progressing':
        deployment.status = {
          observedGeneration: generation,
          replicas,
          updatedReplicas: replicas,
          unavailableReplicas: replicas,
          conditions: [
            condition(
              'Available',
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            ),
            condition(
              'Progressing',
              'True',
              'ReplicaSetUpdated',
              `ReplicaSet "${name}-abc" is progressing.`,
            ),
          ],
        };
        break;
      case 'degraded':
        deployment.status = {
          observedGeneration: generation,
          replicas,
          updatedReplicas: replicas,
          unavailableReplicas: replicas,
          conditions: [
            condition(
              'Available',
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            ),
            condition(
              'Progressing',
              'True',
              'NewReplicaSetAvailable',
              `ReplicaSet "${name}-abc" has successfully progressed.`,
            ),
          ],
        };
        break;
      case 'deadline-exceeded':
        deployment.status = {
          observedGeneration: generation,
          replicas,
          updatedReplicas: replicas,
          unavailableReplicas: replicas,
          conditions: [
            condition(
              'Progressing',
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${name}-abc" has timed out progressing.`,
            ),
          ],
        };
        break;
      case 'pending':
        deployment.status = {
          ...deployment.status,
          observedGeneration: generation - 1,
        };
        break;
      default:
        break;
    }
  }

  #groupList() {
    const groups: any[] = [
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
    ];
    if (this.gatewayApi) {
      groups.push(this.#gatewayGroup());
    }
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  #gatewayGroup() {
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: GATEWAY_GROUP,
      versions: [
        { groupVersion: `${GATEWAY_GROUP}/v1`, version: 'v1' },
        { groupVersion: `${GATEWAY_GROUP}/v1beta1`, version: 'v1beta1' },
      ],
      preferredVersion: { groupVersion: `${GATEWAY_GROUP}/v1`, version: 'v1' },
    };
  }

  #key(kind: Kind, namespace: string, name: string) {
    return `${kind}/${namespace}/${name}`;
  }

  #notFound(kind: Kind, name: string) {
    const groups: Partial<Record<Kind, string>> = {
      deployments: '.apps',
      httproutes: `.${GATEWAY_GROUP}`,
    };
    const group = groups[kind] ?? '';
    return new HttpError(
      404,
      'NotFound',
      `${kind}${group} "${name}" not found`,
    );
  }

  #notFoundPath() {
    return new HttpError(
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
  }
}
