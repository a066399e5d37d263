/*
 * Requests for property-based fuzzing of the routes, derived from the OpenAPI document: every
 * operation of `spec.paths`, its path and query parameters and its JSON body, valid (from the
 * schema and the fixtures of the world the backend holds) and broken in the ways clients and
 * attackers break them. A request is plain data, printed short, so that fast-check's
 * counterexamples stay readable and shrink.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import fc from 'fast-check';
import { spec } from '../schema/openapi/generated/router';

type Schema = Record<string, any>;

const components = spec.components as unknown as Record<
  string,
  Record<string, Schema>
>;

/** Follows `$ref`s into `components` (`#/components/<section>/<name>`). */
export function deref(node: Schema | undefined): Schema {
  let current: Schema = node ?? {};
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const [, , section, name] = String(current.$ref).split('/');
    current = components[section][name];
  }
  return current;
}

export interface FuzzParameter {
  name: string;
  required: boolean;
  schema: Schema;
}

/** One operation of the document, with everything resolved that the fuzzer needs. */
export interface FuzzOperation {
  /** e.g. `POST /deployments/{id}/cancel` */
  title: string;
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  /** The path template, e.g. `/deployments/{id}`. */
  path: string;
  pathParameters: FuzzParameter[];
  queryParameters: FuzzParameter[];
  body?: { schema: Schema; required: boolean };
  /** The JSON schema of each documented response, by status (`default` included). */
  responses: Record<string, Schema | undefined>;
  mutating: boolean;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** Every operation of `spec.paths`, so that a new route is fuzzed without touching the tests. */
export function fuzzOperations(): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, rawItem] of Object.entries(spec.paths)) {
    const item = rawItem as Schema;
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map(deref)
        .map(p => ({
          name: String(p.name),
          in: String(p.in),
          required: !!p.required,
          schema: deref(p.schema),
        }));
      const requestBody = op.requestBody ? deref(op.requestBody) : undefined;
      const bodySchema = requestBody?.content?.['application/json']?.schema;
      const responses: Record<string, Schema | undefined> = {};
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        responses[status] = deref(response as Schema).content?.[
          'application/json'
        ]?.schema;
      }
      operations.push({
        title: `${method.toUpperCase()} ${path}`,
        method,
        path,
        pathParameters: parameters.filter(p => p.in === 'path'),
        queryParameters: parameters.filter(p => p.in === 'query'),
        body: bodySchema
          ? { schema: bodySchema, required: !!requestBody?.required }
          : undefined,
        responses,
        mutating: method !== 'get',
      });
    }
  }
  return operations;
}

/** Whether a path (after URL normalization) is one the operation's template matches. */
export function matchesTemplate(op: FuzzOperation, pathname: string): boolean {
  const pattern = op.path
    .split(/\{[^}]+\}/)
    .map(part => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}/?$`).test(pathname);
}

// --- Values the fuzzer puts into JSON bodies that JSON.stringify cannot or should not make.

/** An object nested `depth` levels deep (`{"a":{"a":…}}`), beyond what JSON.stringify handles. */
export class Deep {
  constructor(readonly depth: number) {}
}

/** A string of `length` characters. */
export class Huge {
  constructor(readonly length: number) {}
}

/** JSON text of a value; {@link Deep} and {@link Huge} are written without recursion. */
export function toJson(value: unknown): string {
  if (value instanceof Deep) {
    return `${'{"a":'.repeat(value.depth)}{}${'}'.repeat(value.depth)}`;
  }
  if (value instanceof Huge) return `"${'x'.repeat(value.length)}"`;
  if (Array.isArray(value)) {
    return `[${Array.from(value, v =>
      v === undefined ? 'null' : toJson(v),
    ).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter(key => obj[key] !== undefined)
      .map(key => `${JSON.stringify(key)}:${toJson(obj[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function short(text: string, max = 120): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}…(${text.length} chars)`;
}

/** A short, readable rendering of a body value for reports. */
export function summarize(value: unknown, depth = 0): string {
  if (value instanceof Deep) return `⟨object nested ${value.depth} deep⟩`;
  if (value instanceof Huge) return `⟨"x"×${value.length}⟩`;
  if (typeof value === 'string') return short(JSON.stringify(value), 100);
  if (depth > 4) return '…';
  if (Array.isArray(value)) {
    return `[${Array.from(value, v => summarize(v, depth + 1)).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter(key => obj[key] !== undefined)
      .map(key => `${JSON.stringify(key)}:${summarize(obj[key], depth + 1)}`)
      .join(',')}}`;
  }
  return String(JSON.stringify(value) ?? 'undefined');
}

function clone(value: unknown): unknown {
  if (value instanceof Deep || value instanceof Huge) return value;
  if (Array.isArray(value)) return Array.from(value, clone);
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      define(copy, key, clone((value as Record<string, unknown>)[key]));
    }
    return copy;
  }
  return value;
}

/** Sets an own property, even `__proto__`. */
function define(obj: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(obj, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

// --- Requests.

/** Who sends a request. */
export type FuzzCredential =
  | 'user'
  | 'allowed-service'
  | 'other-service'
  | 'none'
  | 'bad-token';

/** The Authorization header of each credential (the mock httpAuth's tokens). */
export function authorizationOf(credential: FuzzCredential) {
  switch (credential) {
    case 'user':
      return mockCredentials.user.header('user:default/fuzzer');
    case 'allowed-service':
      return `Bearer ${mockCredentials.service.token({
        onBehalfOf: mockCredentials.service('plugin:scaffolder'),
        targetPluginId: 'model-ops',
      })}`;
    case 'other-service':
      return `Bearer ${mockCredentials.service.token({
        onBehalfOf: mockCredentials.service('plugin:other'),
        targetPluginId: 'model-ops',
      })}`;
    case 'bad-token':
      return 'Bearer not-a-token';
    default:
      return undefined;
  }
}

export type FuzzBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; contentType: string; text: string };

export interface FuzzRequest {
  credential: FuzzCredential;
  method: FuzzOperation['method'];
  /** Relative to the plugin's base URL, encoded. */
  url: string;
  body: FuzzBody;
}

export function describeRequest(request: FuzzRequest): string {
  const { body } = request;
  let text = '';
  if (body.kind === 'json') text = ` json ${summarize(body.value)}`;
  else if (body.kind === 'raw') {
    text = ` ${body.contentType} ${short(JSON.stringify(body.text), 160)}`;
  }
  return `[${request.credential}] ${request.method.toUpperCase()} ${short(
    request.url,
    300,
  )}${text}`;
}

/** What the backend holds that valid-looking requests should name. */
export interface FuzzWorld {
  entities: Array<{ kind: string; namespace: string; name: string }>;
  runIds: string[];
  /** The ids of seeded alerts, for `alertId` path parameters. */
  alertIds?: string[];
  /** Seeded ids for other path parameters, by the parameter's name. */
  pathIds?: Record<string, string[]>;
  versions: string[];
  artifactUris: string[];
  sha256s: string[];
  /** Values of query parameters, by name, that only the backend can make (a page cursor). */
  queryValues?: Record<string, fc.Arbitrary<string>>;
}

const LONG = 4000;

/** Strings that break code, decoded (they are encoded where they go into a URL). */
const NASTY_STRINGS = [
  '',
  ' ',
  '.',
  '..',
  '../..',
  '/',
  'a/b',
  '\\',
  '\u0000',
  '\n',
  '\t',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  '9'.repeat(40),
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  "' OR '1'='1",
  "'; DROP TABLE model_ops_runs; --",
  '%s%n%x',
  '${jndi:ldap://127.0.0.1/x}',
  '<script>alert(1)</script>',
  'ünïcödé',
  '😀',
  'e\u0301',
  '\u202e',
  '\ufeff',
  'Ω'.repeat(200),
  'x'.repeat(300),
  'x'.repeat(LONG),
  '\ud800',
  'component:default/fraud-detector',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  '1234',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.uuid().map(String) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/) },
);

/** Percent-encodes a path segment or query value; lone surrogates become U+FFFD's bytes. */
export function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')]
      .map(b => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('');
  }
}

/** Path segments put into the URL as they are: broken escapes, dots, encoded slashes. */
const RAW_SEGMENTS = [
  '..',
  '.',
  '%00',
  '%2F',
  '%2f..%2f..',
  '%2e%2e',
  '%25',
  '%',
  '%zz',
  '%ED%A0%80',
  '%FF',
  '%C0%AF',
  '%20',
  '+',
  ';',
  '~',
  '*',
  '$',
  "'",
  '@',
  ':',
  '=',
];

function segment(valid: string[]): fc.Arbitrary<string> {
  const options: Array<fc.WeightedArbitrary<string>> = [
    { weight: 3, arbitrary: nastyString.map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  ];
  if (valid.length > 0) {
    options.unshift({
      weight: 5,
      arbitrary: fc.constantFrom(...valid).map(encode),
    });
  }
  return fc.oneof(...options);
}

function pathParameterArbitrary(
  param: FuzzParameter,
  world: FuzzWorld,
): fc.Arbitrary<string> {
  const { schema } = param;
  const named = world.pathIds?.[param.name];
  if (named?.length) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...named) },
      { weight: 2, arbitrary: fc.uuid().map(String) },
      { weight: 3, arbitrary: segment([]) },
    );
  }
  if (schema.format === 'uuid') {
    const ids =
      param.name === 'alertId' && world.alertIds?.length
        ? world.alertIds
        : world.runIds;
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ids) },
      { weight: 2, arbitrary: fc.uuid().map(String) },
      { weight: 3, arbitrary: segment([]) },
    );
  }
  if (Array.isArray(schema.enum)) return segment(schema.enum.map(String));
  return segment([]);
}

const ENTITY_PARAMS = ['kind', 'namespace', 'name'];

function pathArbitrary(
  op: FuzzOperation,
  world: FuzzWorld,
): fc.Arbitrary<string> {
  const names = op.pathParameters.map(p => p.name);
  const entity = ENTITY_PARAMS.every(n => names.includes(n));
  const others = op.pathParameters.filter(
    p => !(entity && ENTITY_PARAMS.includes(p.name)),
  );
  const known = world.entities;
  const entityArbitrary: fc.Arbitrary<Record<string, string>> = entity
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .record({
              entity: fc.constantFrom(...known),
              kindCase: fc.constantFrom<(kind: string) => string>(
                kind => kind.toLowerCase(),
                kind => kind,
                kind => kind.toUpperCase(),
              ),
            })
            .map(({ entity: e, kindCase }) => ({
              kind: encode(kindCase(e.kind)),
              namespace: encode(e.namespace),
              name: encode(e.name),
            })),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: segment(['component', 'Component', 'api', 'user']),
            namespace: segment([...new Set(known.map(e => e.namespace))]),
            name: segment(known.map(e => e.name)),
          }),
        },
      )
    : fc.constant({});
  const otherArbitraries: Record<string, fc.Arbitrary<string>> = {};
  for (const param of others) {
    otherArbitraries[param.name] = pathParameterArbitrary(param, world);
  }
  return fc
    .tuple(entityArbitrary, fc.record(otherArbitraries))
    .map(([a, b]) => {
      const values: Record<string, string> = { ...a, ...b };
      return op.path.replace(/\{([^}]+)\}/g, (_, name) => values[name] ?? '');
    });
}

const INVALID_QUERY_VALUES = [
  '',
  '-1',
  '0',
  '-0',
  '1.5',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e9',
  '1e-9',
  '0x10',
  '99999999999999999999999999',
  'true',
  'null',
  ' 5',
  '5 ',
  'abc',
  '%',
  '%zz',
  '2020-13-45T99:99:99Z',
  '2024-02-30T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
  'x'.repeat(600),
];

function validQueryValue(schema: Schema): fc.Arbitrary<string> {
  if (Array.isArray(schema.enum)) {
    return fc.constantFrom(...schema.enum.map(String));
  }
  switch (schema.type) {
    case 'integer':
      return fc
        .integer({
          min: schema.minimum ?? -1_000_000,
          max: schema.maximum ?? 1_000_000,
        })
        .map(String);
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map(String);
    case 'boolean':
      return fc.boolean().map(String);
    default:
      if (schema.format === 'date-time') {
        // Around now, so that ranges are sometimes valid and sometimes too long or reversed.
        const now = Date.now();
        return fc
          .integer({ min: -40 * 86_400_000, max: 2 * 86_400_000 })
          .map(offset => new Date(now + offset).toISOString());
      }
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 40, 40),
      });
  }
}

const invalidQueryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INVALID_QUERY_VALUES) },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
);

type Pairs = Array<[string, string]>;

function queryParameterArbitrary(
  param: FuzzParameter,
  world: FuzzWorld,
): fc.Arbitrary<Pairs> {
  const { name, schema } = param;
  const known = world.queryValues?.[name];
  const valid = known
    ? fc.oneof(
        { weight: 3, arbitrary: known },
        { weight: 1, arbitrary: validQueryValue(schema) },
      )
    : validQueryValue(schema);
  const value = fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: invalidQueryValue },
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Pairs>([]) },
    { weight: 4, arbitrary: valid.map<Pairs>(v => [[name, v]]) },
    { weight: 2, arbitrary: invalidQueryValue.map<Pairs>(v => [[name, v]]) },
    {
      weight: 1,
      arbitrary: fc
        .array(value, { minLength: 2, maxLength: 3 })
        .map<Pairs>(vs => vs.map(v => [name, v])),
    },
    // qs reads these as an object and an array.
    { weight: 1, arbitrary: value.map<Pairs>(v => [[`${name}[a]`, v]]) },
    { weight: 1, arbitrary: value.map<Pairs>(v => [[`${name}[]`, v]]) },
  );
}

function queryArbitrary(
  op: FuzzOperation,
  world: FuzzWorld,
): fc.Arbitrary<string> {
  const unknownParameter = fc.oneof(
    { weight: 6, arbitrary: fc.constant<Pairs>([]) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('nope', '__proto__[x]', 'constructor', 'a[b][c]'),
          nastyString,
        )
        .map<Pairs>(pair => [pair]),
    },
  );
  return fc
    .tuple(
      ...op.queryParameters.map(p => queryParameterArbitrary(p, world)),
      unknownParameter,
    )
    .map(groups => {
      const pairs = groups.flat();
      if (pairs.length === 0) return '';
      return `?${pairs
        .map(
          ([k, v]) =>
            `${k}=${
              INVALID_QUERY_VALUES.includes(v) && v.startsWith('%')
                ? v
                : encode(v)
            }`,
        )
        .join('&')}`;
    });
}

/**
 * Opaque tokens of the backend's shape (base64url of JSON), from a real one: the real one,
 * the real one cut or lengthened, and forged ones of any content, e.g. a page cursor's
 * `[createdAt, id]` with dates out of every database's range and ids that are no UUIDs.
 */
export function tokenArbitrary(real: string[]): fc.Arbitrary<string> {
  const forge = (value: unknown) =>
    Buffer.from(toJson(value)).toString('base64url');
  const dateLike = fc.oneof(
    fc.date({ noInvalidDate: true }).map(d => d.toISOString()),
    fc.constantFrom(
      '-271821-04-20T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '2024-02-30',
      'now',
    ),
    fc.integer(),
    fc.double(),
  );
  const idLike = fc.oneof(fc.uuid().map(String), nastyString, fc.integer());
  const options: Array<fc.Arbitrary<string>> = [
    fc.tuple(dateLike, idLike).map(forge),
    // Small enough to stay in a URL (Node answers 431 itself to one over 16 KB).
    fc.jsonValue({ maxDepth: 3 }).map(forge),
  ];
  if (real.length > 0) {
    options.push(
      fc.constantFrom(...real),
      fc
        .tuple(
          fc.constantFrom(...real),
          fc.nat(),
          fc.constantFrom('', 'A', '=', '%3D'),
        )
        .map(
          ([token, cut, tail]) =>
            token.slice(0, token.length - (cut % 4)) + tail,
        ),
    );
  }
  return fc.oneof(...options);
}

// --- Bodies.

/** Values of the wrong type, size or shape, put where the schema wants something else. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, 1e308, -0),
  nastyString,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(50, 3000, 15_000).map(depth => new Deep(depth)),
  fc.constantFrom(600, 5_000, 120_000).map(length => new Huge(length)),
);

function validValue(
  schema: Schema,
  world: FuzzWorld,
  key?: string,
): fc.Arbitrary<unknown> {
  const resolved = deref(schema);
  // Fields whose valid values name what the backend holds.
  switch (key) {
    case 'entityRef':
      return fc.oneof(
        {
          weight: 5,
          arbitrary: fc.constantFrom(
            ...world.entities.map(
              e => `${e.kind.toLowerCase()}:${e.namespace}/${e.name}`,
            ),
          ),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(...world.entities.map(e => e.name)),
        },
        { weight: 1, arbitrary: fc.constant('component:default/unknown') },
      );
    case 'version':
    case 'toVersion':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...world.versions) },
        {
          weight: 1,
          arbitrary: fc.stringMatching(/^[0-9A-Za-z][0-9A-Za-z._+-]{0,20}$/),
        },
      );
    case 'uri':
      return fc.constantFrom(...world.artifactUris);
    case 'sha256':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...world.sha256s) },
        { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-fA-F]{64}$/) },
      );
    default:
  }
  if (Array.isArray(resolved.enum)) return fc.constantFrom(...resolved.enum);
  if (resolved.oneOf || resolved.anyOf) {
    return fc.oneof(
      ...(resolved.oneOf ?? resolved.anyOf).map((s: Schema) =>
        validValue(s, world),
      ),
    );
  }
  switch (resolved.type) {
    case 'object': {
      const properties = (resolved.properties ?? {}) as Record<string, Schema>;
      if (Object.keys(properties).length === 0) {
        return fc.dictionary(
          fc.string({ maxLength: 10 }),
          fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 3 },
        );
      }
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(properties)) {
        model[name] = validValue(sub, world, name);
      }
      return fc.record(model, { requiredKeys: resolved.required ?? [] });
    }
    case 'array':
      return fc.array(validValue(resolved.items ?? {}, world), {
        maxLength: 3,
      });
    case 'string': {
      const minLength = resolved.minLength ?? 0;
      const maxLength = resolved.maxLength ?? 60;
      if (resolved.pattern) {
        return fc
          .stringMatching(new RegExp(resolved.pattern))
          .filter(s => s.length >= minLength && s.length <= maxLength);
      }
      if (resolved.format === 'date-time') {
        return fc
          .date({ noInvalidDate: true, min: new Date(0) })
          .map(d => d.toISOString());
      }
      return fc.string({ minLength, maxLength: Math.min(maxLength, 60) });
    }
    case 'integer':
      return fc.integer({
        min: resolved.minimum ?? -1000,
        max: resolved.maximum ?? 1000,
      });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Mutation = {
  op: 'delete' | 'set' | 'extra';
  at: number;
  key: string;
  value: unknown;
};

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('delete', 'set', 'extra'),
  at: fc.nat(),
  key: fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'extra', 'entityRef', ''),
    fc.string({ maxLength: 8 }),
  ),
  value: weirdValue,
});

/** Paths to every node of a value (the root is `[]`). */
function nodePaths(value: unknown, at: string[] = []): string[][] {
  const paths = [at];
  if (value instanceof Deep || value instanceof Huge) return paths;
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      paths.push(
        ...nodePaths((value as Record<string, unknown>)[key], [...at, key]),
      );
    }
  }
  return paths;
}

function nodeAt(root: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string, unknown>)[key],
    root,
  );
}

/** Applies mutations to a copy of a valid value: a field missing, of a wrong type, or extra. */
export function mutate(valid: unknown, mutations: Mutation[]): unknown {
  let root = clone(valid);
  for (const { op, at, key, value } of mutations) {
    const paths = nodePaths(root);
    const path = paths[at % paths.length];
    if (path.length === 0) {
      if (op === 'set') root = clone(value);
      else if (op === 'extra' && Array.isArray(root)) root.push(clone(value));
      else if (op === 'extra' && root && typeof root === 'object') {
        define(root as Record<string, unknown>, key, clone(value));
      }
      continue;
    }
    const parent = nodeAt(root, path.slice(0, -1)) as Record<string, unknown>;
    const last = path[path.length - 1];
    const node = parent[last];
    if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op === 'set') {
      define(parent, last, clone(value));
    } else if (Array.isArray(node)) {
      node.push(clone(value));
    } else if (
      node &&
      typeof node === 'object' &&
      !(node instanceof Deep) &&
      !(node instanceof Huge)
    ) {
      define(node as Record<string, unknown>, key, clone(value));
    } else {
      define(parent, key, clone(value));
    }
  }
  return root;
}

/** Bodies that are not JSON, or are JSON under the wrong type, or JSON parsers trip on. */
const RAW_BODIES: Array<[string, string]> = [
  ['application/json', '{"entityRef":'],
  ['application/json', ''],
  ['application/json', 'null'],
  ['application/json', '"a string"'],
  ['application/json', '42'],
  ['application/json', '\ufeff{}'],
  [
    'application/json',
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  ],
  ['application/json', '{"to":"blue","to":"purple"}'],
  ['application/json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
  ['application/json; charset=latin1', '{}'],
  ['application/json; charset=utf-7', '{}'],
  ['text/plain', 'hello'],
  [
    'application/x-www-form-urlencoded',
    'entityRef=component%3Adefault%2Ffraud-detector&version=1.0.0',
  ],
  ['application/xml', '<a/>'],
  [
    'multipart/form-data; boundary=x',
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
  ],
  ['application/octet-stream', '\u0000\u0001\u0002'],
  ['application/merge-patch+json', '{}'],
];

function bodyArbitrary(op: FuzzOperation, world: FuzzWorld) {
  const raw = fc
    .constantFrom(...RAW_BODIES)
    .map<FuzzBody>(([contentType, text]) => ({
      kind: 'raw',
      contentType,
      text,
    }));
  const none = fc.constant<FuzzBody>({ kind: 'none' });
  if (!op.body) {
    // Operations that take no body get one now and then.
    return fc.oneof(
      { weight: 8, arbitrary: none },
      {
        weight: 1,
        arbitrary: weirdValue.map<FuzzBody>(value => ({ kind: 'json', value })),
      },
      { weight: 1, arbitrary: raw },
    );
  }
  const valid = validValue(op.body.schema, world);
  return fc.oneof(
    { weight: 1, arbitrary: none },
    {
      weight: 3,
      arbitrary: valid.map<FuzzBody>(value => ({ kind: 'json', value })),
    },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          valid,
          fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }),
        )
        .map<FuzzBody>(([value, mutations]) => ({
          kind: 'json',
          value: mutate(value, mutations),
        })),
    },
    {
      weight: 1,
      arbitrary: weirdValue.map<FuzzBody>(value => ({ kind: 'json', value })),
    },
    { weight: 1, arbitrary: raw },
    // Valid JSON under a content type that is not JSON.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded'),
        )
        .map<FuzzBody>(([value, contentType]) => ({
          kind: 'raw',
          contentType,
          text: toJson(value),
        })),
    },
  );
}

const credentialArbitrary: fc.Arbitrary<FuzzCredential> = fc.oneof(
  { weight: 14, arbitrary: fc.constant<FuzzCredential>('user') },
  { weight: 2, arbitrary: fc.constant<FuzzCredential>('allowed-service') },
  { weight: 1, arbitrary: fc.constant<FuzzCredential>('other-service') },
  { weight: 2, arbitrary: fc.constant<FuzzCredential>('none') },
  { weight: 1, arbitrary: fc.constant<FuzzCredential>('bad-token') },
);

/** Requests to one operation: path, query, body and credentials. */
export function requestArbitrary(
  op: FuzzOperation,
  world: FuzzWorld,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      credential: credentialArbitrary,
      path: pathArbitrary(op, world),
      query: queryArbitrary(op, world),
      body: bodyArbitrary(op, world),
    })
    .map(({ credential, path, query, body }) => {
      const request: FuzzRequest = {
        credential,
        method: op.method,
        url: `${path}${query}`,
        body,
      };
      Object.defineProperty(request, fc.toStringMethod, {
        value: () => describeRequest(request),
      });
      return request;
    });
}
