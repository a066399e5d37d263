import { FakeApiError, unknownPath } from './fakeErrors';
import { FakeAnswer, FakeKind, FakeObjectStore } from './fakeStore';

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

/** What the routes read of the fake's state. */
export interface FakeRouteContext {
  store: FakeObjectStore;
  /** Whether `gateway.networking.k8s.io/v1` is served. */
  gatewayApi: boolean;
  podLog(namespace: string, name: string): string | undefined;
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** The object collections, by path: kind, list kind and apiVersion, and whether it is served. */
const COLLECTIONS: Array<{
  path: RegExp;
  kind: FakeKind;
  objectKind: string;
  apiVersion: string;
  served?: (context: FakeRouteContext) => boolean;
}> = [
  {
    path: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments(?:\/([^/]+))?$/,
    kind: 'deployments',
    objectKind: 'Deployment',
    apiVersion: 'apps/v1',
  },
  {
    path: /^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/,
    kind: 'services',
    objectKind: 'Service',
    apiVersion: 'v1',
  },
  {
    path: /^\/apis\/gateway\.networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/httproutes(?:\/([^/]+))?$/,
    kind: 'httproutes',
    objectKind: 'HTTPRoute',
    apiVersion: `${GATEWAY_GROUP}/v1`,
    served: context => context.gatewayApi,
  },
];

function gatewayGroup() {
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

function groupList(context: FakeRouteContext) {
  const groups: object[] = [
    {
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    },
  ];
  if (context.gatewayApi) {
    groups.push(gatewayGroup());
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

function methodNotAllowed(method: string): FakeApiError {
  return new FakeApiError(405, 'MethodNotAllowed', `${method} not allowed`);
}

function objects(
  context: FakeRouteContext,
  collection: (typeof COLLECTIONS)[number],
  r: RecordedRequest,
  namespace: string,
  name: string | undefined,
): FakeAnswer {
  const { store } = context;
  const { kind } = collection;
  if (!name) {
    if (r.method === 'GET') {
      return store.list(
        kind,
        `${collection.objectKind}List`,
        collection.apiVersion,
        namespace,
        r.query.labelSelector,
      );
    }
    if (r.method === 'POST') {
      return store.create(kind, namespace, r.body);
    }
    throw methodNotAllowed(r.method);
  }
  switch (r.method) {
    case 'GET':
      return store.read(kind, namespace, name);
    case 'DELETE':
      return store.delete(kind, namespace, name);
    case 'PUT':
      return store.replace(kind, namespace, name, r.body);
    case 'PATCH':
      return store.patch(kind, namespace, name, r.contentType, r.body);
    default:
      store.read(kind, namespace, name); // 404 before 405, as the API server answers
      throw methodNotAllowed(r.method);
  }
}

/** The tail of a pod's log, as `tailLines` asks; a trailing newline is kept. */
function podLog(
  context: FakeRouteContext,
  r: RecordedRequest,
  namespace: string,
  name: string,
): FakeAnswer {
  if (!context.store.find('pods', namespace, name)) {
    throw context.store.notFound('pods', name);
  }
  let log = context.podLog(namespace, name) ?? '';
  const tail = Number(r.query.tailLines);
  if (tail >= 0 && r.query.tailLines !== undefined) {
    const lines = log.split('\n');
    const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
    log = lines.slice(-tail).join('\n') + (trailing === '' ? '\n' : '');
  }
  return [200, log];
}

/**
 * Answers one authorized request: API discovery, the object collections, pod lists and pod
 * logs. Throws a {@link FakeApiError} for what the API server would refuse.
 */
export function routeRequest(
  context: FakeRouteContext,
  r: RecordedRequest,
): FakeAnswer {
  const { method, path } = r;
  if (method === 'GET' && /^\/apis\/?$/.test(path)) {
    return [200, groupList(context)];
  }
  if (
    method === 'GET' &&
    path.replace(/\/$/, '') === `/apis/${GATEWAY_GROUP}`
  ) {
    if (!context.gatewayApi) {
      throw unknownPath();
    }
    return [200, gatewayGroup()];
  }
  for (const collection of COLLECTIONS) {
    const m = path.match(collection.path);
    if (m) {
      if (collection.served && !collection.served(context)) {
        throw unknownPath();
      }
      return objects(context, collection, r, m[1], m[2]);
    }
  }
  let m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/);
  if (m && method === 'GET') {
    return context.store.list(
      'pods',
      'PodList',
      'v1',
      m[1],
      r.query.labelSelector,
    );
  }
  m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/);
  if (m && method === 'GET') {
    return podLog(context, r, m[1], m[2]);
  }
  throw unknownPath();
}
