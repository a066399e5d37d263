/*
 * Timing what a benchmark's code under test spends its time on: spans (start and end on
 * `performance.now()`), recorded by wrappers the benchmark puts around a dependency (every
 * query of a knex instance, every call of a model runtime), and a per-millisecond timeline
 * that says, for a window, how much of it each kind of span covered (the highest-priority
 * kind wins where spans overlap).
 */
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';

export interface Span {
  kind: string;
  label: string;
  start: number;
  end: number;
}

/** Spans recorded by wrappers, in the order they ended. */
export class SpanLog {
  readonly spans: Span[] = [];

  add(kind: string, label: string, start: number, end: number) {
    this.spans.push({ kind, label, start, end });
  }

  async time<T>(kind: string, label: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.add(kind, label, start, performance.now());
    }
  }

  within(from: number, to: number): Span[] {
    return this.spans.filter(s => s.end > from && s.start < to);
  }

  clear() {
    this.spans.length = 0;
  }
}

/** Records every query of `knex` as a span of kind `db`, labelled with its statement's verb. */
export function timeKnexQueries(knex: Knex, log: SpanLog): void {
  const started = new Map<string, number>();
  knex.on('query', (query: { __knexQueryUid: string }) => {
    started.set(query.__knexQueryUid, performance.now());
  });
  const done = (query: { __knexQueryUid: string; sql?: string }) => {
    const start = started.get(query.__knexQueryUid);
    if (start === undefined) return;
    started.delete(query.__knexQueryUid);
    const verb = /^\s*(\w+)/.exec(query.sql ?? '')?.[1]?.toLowerCase() ?? '?';
    const table = /(?:into|update|from)\s+"?([\w-]+"?\."?)?([\w]+)/i.exec(
      query.sql ?? '',
    )?.[2];
    log.add(
      'db',
      `${verb}${table ? ` ${table}` : ''}`,
      start,
      performance.now(),
    );
  };
  knex.on('query-response', (_response: unknown, query: any) => done(query));
  knex.on('query-error', (_error: unknown, query: any) => done(query));
}

/**
 * The runtime with each call recorded as a span of kind `runtime`, labelled `<method> <slot>`.
 * Calls go to `runtime` itself (its private fields need it as `this`).
 */
export function timedRuntime(
  runtime: ModelRuntime,
  log: SpanLog,
): ModelRuntime {
  const slotOf = (request: unknown) =>
    (request as { slot?: string }).slot
      ? ` ${(request as { slot: string }).slot}`
      : '';
  return {
    id: runtime.id,
    configSchema: runtime.configSchema,
    frameworks: runtime.frameworks,
    deploy: request =>
      log.time('runtime', `deploy${slotOf(request)}`, () =>
        runtime.deploy(request),
      ),
    undeploy: request =>
      log.time('runtime', `undeploy${slotOf(request)}`, () =>
        runtime.undeploy(request),
      ),
    setTraffic: request =>
      log.time('runtime', 'setTraffic', () => runtime.setTraffic(request)),
    getTraffic: request =>
      log.time('runtime', 'getTraffic', () => runtime.getTraffic(request)),
    health: request =>
      log.time('runtime', `health${slotOf(request)}`, () =>
        runtime.health(request),
      ),
    describe: request =>
      log.time('runtime', 'describe', () => runtime.describe(request)),
    logs: runtime.logs ? request => runtime.logs!(request) : undefined,
  } as ModelRuntime;
}

/**
 * How much of [from, to) each kind covers, at 1 ms resolution: a millisecond goes to the first
 * kind in `priority` that any span covering it has, else to `rest`.
 */
export function coverage(
  spans: Span[],
  from: number,
  to: number,
  priority: string[],
  rest = 'other',
): Record<string, number> {
  const length = Math.max(0, Math.ceil(to - from));
  const rank = new Uint8Array(length).fill(255);
  for (const span of spans) {
    const p = priority.indexOf(span.kind);
    if (p < 0) continue;
    const a = Math.max(0, Math.floor(span.start - from));
    const b = Math.min(length, Math.ceil(span.end - from));
    for (let i = a; i < b; i++) if (p < rank[i]) rank[i] = p;
  }
  const result: Record<string, number> = {};
  for (const kind of [...priority, rest]) result[kind] = 0;
  for (let i = 0; i < length; i++) {
    const kind = rank[i] === 255 ? rest : priority[rank[i]];
    result[kind]++;
  }
  return result;
}

export function percentileOf(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
