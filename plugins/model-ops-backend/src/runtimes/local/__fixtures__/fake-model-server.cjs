/*
 * TEST DOUBLE of the model server (packages/model-server/src/server.ts), used by the local
 * runtime's tests. It honours the same contract:
 *
 *   node fake-model-server.cjs --artifact <dir> --port 0 --host 127.0.0.1 --model-id <id>
 *
 * - reads the version from <dir>/model.json ({"version": "..."});
 * - prints one JSON line on stdout when listening:
 *   {"event":"listening","host":"127.0.0.1","port":N,"modelId":"...","version":"...","pid":N}
 * - GET /healthz -> 200 {"status":"ok","modelId","version","uptimeSeconds"}
 * - POST /v1/predict -> 200 {"modelId","version","prediction"} (echoes the body length)
 * - GET /metrics -> Prometheus text
 * - every answer has the header x-model-version;
 * - SIGTERM: stops accepting connections, finishes in-flight requests, exits (within 5 s).
 *
 * Knobs for tests, from the environment:
 *   FAKE_FAIL_START=1        exit with code 3 before listening, after printing an error
 *   FAKE_NEVER_LISTEN=1      print a line but never listen
 *   FAKE_REPORT_VERSION=x    claim version x in /healthz
 *   FAKE_STARTUP_DELAY_MS=n  wait n ms before listening
 *   FAKE_LATENCY_MS=n        answer /v1/predict after n ms
 *   FAKE_SPAWN_CHILD=1       start a long-running child that ignores SIGTERM, in the same
 *                            process group; its pid is in /healthz as childPid
 */
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const modelId = args['model-id'] || 'unknown';
const model = JSON.parse(
  fs.readFileSync(path.join(args.artifact, 'model.json'), 'utf8'),
);
const version = model.version;
const reported = process.env.FAKE_REPORT_VERSION || version;
const startedAt = Date.now();
const latency = Number(process.env.FAKE_LATENCY_MS || 0);
let predictions = 0;

console.log(
  `fake model server ${modelId} ${version} starting (pid ${process.pid})`,
);
if (process.env.FAKE_FAIL_START) {
  console.error(`cannot load model from ${args.artifact}: boom`);
  process.exit(3);
}

let childPid;
if (process.env.FAKE_SPAWN_CHILD) {
  // It ignores SIGTERM, so stopping the group needs the SIGKILL that follows.
  const child = spawn(
    process.execPath,
    ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
    {
      stdio: 'ignore',
    },
  );
  childPid = child.pid;
}

function send(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? JSON.stringify(body) : body;
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'x-model-version': reported,
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    send(res, 200, {
      status: 'ok',
      modelId,
      version: reported,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      childPid,
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/metrics') {
    send(
      res,
      200,
      `model_predictions_total ${predictions}\n`,
      'text/plain; version=0.0.4',
    );
    return;
  }
  if (req.method === 'POST' && req.url === '/v1/predict') {
    let size = 0;
    req.on('data', chunk => {
      size += chunk.length;
    });
    req.on('end', () => {
      predictions++;
      const answer = () =>
        send(res, 200, {
          modelId,
          version: reported,
          prediction: { bytes: size },
        });
      if (latency > 0) setTimeout(answer, latency);
      else answer();
    });
    return;
  }
  send(res, 404, { error: `no route ${req.method} ${req.url}` });
});

if (process.env.FAKE_NEVER_LISTEN) {
  console.log('not listening, on purpose');
  setInterval(() => {}, 1000);
} else {
  setTimeout(() => {
    server.listen(Number(args.port || 0), args.host || '127.0.0.1', () => {
      console.log(
        JSON.stringify({
          event: 'listening',
          host: args.host || '127.0.0.1',
          port: server.address().port,
          modelId,
          version: reported,
          pid: process.pid,
        }),
      );
    });
  }, Number(process.env.FAKE_STARTUP_DELAY_MS || 0));
}

process.on('SIGTERM', () => {
  console.log('SIGTERM: stopping');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 4000).unref();
});
