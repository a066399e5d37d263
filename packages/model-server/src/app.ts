/**
 * The HTTP side of the model server: routes, request validation and Prometheus metrics.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';
import { MaxTokensError } from './model.ts';
import type { Model } from './model.ts';

export const MAX_INPUTS = 64;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Histogram buckets, in seconds: 1 ms to 5 s. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5,
];

export type LogFn = (entry: Record<string, unknown>) => void;

export interface ModelServer {
  server: Server;
  registry: Registry;
}

class BadRequest extends Error {}

/** Reads the body, refusing more than MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge)
        reject(
          new BadRequest(`body: request body exceeds ${MAX_BODY_BYTES} bytes`),
        );
      else resolvePromise(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** The texts of a predict body, or BadRequest naming the field at fault. */
export function parsePredictBody(raw: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new BadRequest(
      'body: must be JSON: {"input": "text"} or {"inputs": ["text", ...]}',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest(
      'body: must be a JSON object with "input" or "inputs"',
    );
  }
  const { input, inputs } = body as { input?: unknown; inputs?: unknown };
  if (input !== undefined && inputs !== undefined) {
    throw new BadRequest('input: give either "input" or "inputs", not both');
  }
  if (input !== undefined) {
    if (typeof input !== 'string' || input.trim().length === 0) {
      throw new BadRequest('input: must be a non-empty string');
    }
    return [input];
  }
  if (inputs !== undefined) {
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw new BadRequest('inputs: must be a non-empty array of strings');
    }
    if (inputs.length > MAX_INPUTS) {
      throw new BadRequest(
        `inputs: at most ${MAX_INPUTS} items, got ${inputs.length}`,
      );
    }
    inputs.forEach((text, i) => {
      if (typeof text !== 'string' || text.trim().length === 0) {
        throw new BadRequest(`inputs[${i}]: must be a non-empty string`);
      }
    });
    return inputs as string[];
  }
  throw new BadRequest(
    'input: missing; send {"input": "text"} or {"inputs": ["text", ...]}',
  );
}

export function createModelServer(options: {
  model: Model;
  log: LogFn;
}): ModelServer {
  const { model, log } = options;
  const { modelId, version } = model.file;
  const startedAt = process.hrtime.bigint();

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'model_requests_total',
    help: 'Prediction requests (POST /v1/predict) answered, by HTTP status.',
    labelNames: ['status'],
    registers: [registry],
  });
  for (const status of ['200', '400', '500']) requests.inc({ status }, 0);
  const duration = new Histogram({
    name: 'model_request_duration_seconds',
    help: 'Time to answer a prediction request (POST /v1/predict), in seconds.',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const info = new Gauge({
    name: 'model_info',
    help: 'The model this server serves; always 1.',
    labelNames: ['model_id', 'version'],
    registers: [registry],
  });
  info.set({ model_id: modelId, version }, 1);

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    type = 'application/json',
  ) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(text),
      'x-model-version': version,
    });
    res.end(text);
  };

  const predict = async (req: IncomingMessage, res: ServerResponse) => {
    const start = process.hrtime.bigint();
    let status = 200;
    let count = 0;
    let error: string | undefined;
    try {
      const texts = parsePredictBody(await readBody(req));
      count = texts.length;
      const predictions = model.predict(texts);
      send(res, 200, { modelId, version, predictions });
    } catch (e) {
      if (e instanceof BadRequest) {
        status = 400;
      } else if (e instanceof MaxTokensError) {
        status = 500;
      } else {
        status = 500;
        log({ event: 'error', message: (e as Error).stack ?? String(e) });
      }
      error =
        e instanceof BadRequest || e instanceof MaxTokensError
          ? e.message
          : 'internal error';
      send(res, status, { error });
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    requests.inc({ status: String(status) });
    duration.observe(seconds);
    log({
      event: 'request',
      method: 'POST',
      path: '/v1/predict',
      status,
      inputs: count,
      ms: Math.round(seconds * 1e5) / 100,
      ...(error ? { error } : {}),
    });
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    if (route === 'POST /v1/predict') {
      predict(req, res).catch(e => {
        log({ event: 'error', message: String(e) });
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
      return;
    }
    if (route === 'GET /healthz') {
      const uptimeSeconds =
        Math.round(Number(process.hrtime.bigint() - startedAt) / 1e6) / 1000;
      send(res, 200, { status: 'ok', modelId, version, uptimeSeconds });
      return;
    }
    if (route === 'GET /metrics') {
      registry.metrics().then(
        text => send(res, 200, text, registry.contentType),
        e => send(res, 500, { error: `metrics: ${String(e)}` }),
      );
      return;
    }
    const known = ['/v1/predict', '/healthz', '/metrics'].includes(path);
    const status = known ? 405 : 404;
    send(res, status, {
      error: known
        ? `method ${req.method} not allowed on ${path}`
        : `no route ${path}`,
    });
    log({ event: 'request', method: req.method, path, status });
  });
  return { server, registry };
}
