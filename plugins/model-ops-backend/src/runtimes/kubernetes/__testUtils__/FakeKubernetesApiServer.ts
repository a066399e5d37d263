/**
 * A FAKE of the Kubernetes API server for tests: a real HTTP server on 127.0.0.1 that implements
 * only the endpoints the `kubernetes` runtime calls, keeps objects in memory and records every
 * request. It is not a Kubernetes API server: there is no admission, no defaulting beyond a few
 * fields, no watch, and no controllers — a test decides how a Deployment's rollout goes with
 * {@link FakeKubernetesApiServer.setRollout}.
 *
 * Implemented (the routes are in `fakeRoutes.ts`, the storage in `fakeStore.ts`, the rollout
 * statuses in `fakeRollouts.ts`):
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
import { FakeApiError } from './fakeErrors';
import { applyRollout, FakeRollout } from './fakeRollouts';
import { RecordedRequest, routeRequest } from './fakeRoutes';
import { clone, FakeKind, FakeObjectStore } from './fakeStore';

export type { FakeRollout } from './fakeRollouts';
export type { RecordedRequest } from './fakeRoutes';
export { jsonMergePatch } from './fakeStore';

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
  readonly #store = new FakeObjectStore({
    onDeploymentWrite: deployment =>
      applyRollout(
        deployment,
        this.#rolloutOf(
          deployment.metadata.namespace,
          deployment.metadata.name,
        ),
      ),
  });
  readonly #rollouts = new Map<string, FakeRollout>();
  readonly #logs = new Map<string, string>();
  readonly #failures: Array<{
    method: string;
    path: RegExp;
    code: number;
    message: string;
  }> = [];

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
  get(kind: FakeKind, name: string, namespace = 'model-ops'): any {
    return clone(this.#store.find(kind, namespace, name));
  }

  /** The names of the stored objects of a kind, sorted. */
  names(kind: FakeKind, namespace = 'model-ops'): string[] {
    return this.#store.names(kind, namespace);
  }

  /** Stores an object as is (for state a test starts from). */
  put(kind: FakeKind, object: any, namespace = 'model-ops'): void {
    this.#store.put(kind, object, namespace);
  }

  /** Sets how a Deployment's rollout goes, now and for its later generations. */
  setRollout(name: string, rollout: FakeRollout, namespace = 'model-ops') {
    this.#rollouts.set(`${namespace}/${name}`, rollout);
    const deployment = this.#store.find('deployments', namespace, name);
    if (deployment) {
      applyRollout(deployment, rollout);
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
          throw new FakeApiError(401, 'Unauthorized', 'Unauthorized');
        }
        const failure = this.#failures.findIndex(
          f => f.method === recorded.method && f.path.test(recorded.path),
        );
        if (failure >= 0) {
          const [f] = this.#failures.splice(failure, 1);
          if (f.code === 0) {
            return; // no answer; close() ends the connection
          }
          throw new FakeApiError(f.code, 'Injected', f.message);
        }
        [status, answer] = routeRequest(
          {
            store: this.#store,
            gatewayApi: this.gatewayApi,
            podLog: (namespace, name) => this.#logs.get(`${namespace}/${name}`),
          },
          recorded,
        );
      } catch (e) {
        const error =
          e instanceof FakeApiError
            ? e
            : new FakeApiError(500, 'InternalError', String(e));
        status = error.code;
        answer = error.toStatus();
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

  #rolloutOf(namespace: string, name: string): FakeRollout {
    return this.#rollouts.get(`${namespace}/${name}`) ?? this.defaultRollout;
  }
}
