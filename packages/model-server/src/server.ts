/**
 * The model server: serves one model-server/v1 artifact over HTTP.
 *
 *   model-ops-model-server --artifact <dir> --port <n> [--host 127.0.0.1] [--model-id <id>]
 *
 * Prints {"event":"listening",...} as its first stdout line once it accepts connections, then
 * one JSON log line per request. Stops gracefully on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { ArtifactError, loadArtifact } from './artifact.ts';
import { createModelServer } from './app.ts';
import type { Artifact } from './artifact.ts';

const SHUTDOWN_GRACE_MS = 4000;
const USAGE =
  'usage: model-ops-model-server --artifact <dir> --port <n> [--host 127.0.0.1] [--model-id <id>]';
// In the `Usage:`/`Options:` layout that Backstage's CLI reports (cli-report.md) read.
const HELP = `Usage: model-ops-model-server --artifact <dir> --port <n> [options]

Serves one model-server/v1 artifact over HTTP: POST /v1/predict, GET /healthz, GET /metrics.

Options:
  --artifact <dir>   Artifact directory, checked against its manifest.json (required)
  --port <n>         Port to listen on, 0 picks a free one (required)
  --host <address>   Interface to listen on (default: 127.0.0.1)
  --model-id <id>    Refuse to start unless the artifact holds this model id
  -h, --help         Print this help
`;

function die(message: string, code: number): never {
  process.stderr.write(`model-server: ${message}\n`);
  process.exit(code);
}

function log(entry: Record<string, unknown>) {
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`,
  );
}

function main() {
  let values: {
    artifact?: string;
    port?: string;
    host?: string;
    'model-id'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        artifact: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'model-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    die(`${(e as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.artifact) die(`--artifact is required\n${USAGE}`, 2);
  if (
    values.port === undefined ||
    !/^\d+$/.test(values.port) ||
    Number(values.port) > 65535
  ) {
    die(
      `--port must be an integer 0..65535 (0 picks a free port)\n${USAGE}`,
      2,
    );
  }
  const host = values.host ?? '127.0.0.1';

  let artifact: Artifact;
  try {
    artifact = loadArtifact(values.artifact);
  } catch (e) {
    const reason = e instanceof ArtifactError ? e.message : String(e);
    die(`invalid artifact ${values.artifact}: ${reason}`, 1);
  }
  const { modelId, version } = artifact.model.file;
  if (values['model-id'] !== undefined && values['model-id'] !== modelId) {
    die(
      `--model-id ${values['model-id']} does not match the artifact, which holds ${modelId}@${version}`,
      1,
    );
  }

  const { server } = createModelServer({ model: artifact.model, log });
  server.on('error', e =>
    die(`cannot listen on ${host}:${values.port}: ${e.message}`, 1),
  );
  server.listen(Number(values.port), host, () => {
    const address = server.address();
    const port =
      typeof address === 'object' && address
        ? address.port
        : Number(values.port);
    process.stdout.write(
      `${JSON.stringify({
        event: 'listening',
        host,
        port,
        modelId,
        version,
        pid: process.pid,
      })}\n`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log({ event: 'stopped', signal, forced: true });
      process.exit(0);
    }
    stopping = true;
    log({ event: 'stopping', signal });
    // Stop accepting; close() waits for in-flight requests and drops idle keep-alive sockets.
    server.close(() => {
      log({ event: 'stopped', signal });
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      log({ event: 'stopped', signal, forced: true });
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main();
