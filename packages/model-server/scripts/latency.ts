/**
 * Measures per-request latency of a model artifact as a client sees it: starts the server on a
 * free port, sends sequential single-input predictions and prints percentiles as JSON.
 *
 * Usage: node scripts/latency.ts --artifact <dir> [--requests 200] [--input "text"]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from '../src/childServer.ts';

const { values } = parseArgs({
  options: {
    artifact: { type: 'string' },
    requests: { type: 'string', default: '200' },
    input: { type: 'string', default: 'I love it, works great' },
  },
});
if (!values.artifact) {
  process.stderr.write(
    'usage: node scripts/latency.ts --artifact <dir> [--requests 200] [--input "text"]\n',
  );
  process.exit(2);
}
const requests = Number(values.requests);
const server = await startServer({
  serverScript: join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    'src',
    'server.ts',
  ),
  artifact: values.artifact,
});
try {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = process.hrtime.bigint();
    const res = await server.request('POST', '/v1/predict', {
      input: values.input,
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 200)
      throw new Error(`request ${i} answered ${res.status}: ${res.text}`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(
      times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] * 100,
    ) / 100;
  process.stdout.write(
    `${JSON.stringify({
      modelId: server.listening.modelId,
      version: server.listening.version,
      requests,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
      maxMs: at(1),
    })}\n`,
  );
} finally {
  await server.stop('SIGTERM');
}
