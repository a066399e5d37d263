#!/usr/bin/env node
/*
 * The Model Ops `local` runtime's traffic router: one process per model, on a stable loopback
 * port, that forwards every request to the model's slot servers by weight.
 *
 * Plain CommonJS, no dependencies: `node local-router.cjs --port 7100 --model-id sentiment
 * --token-file /path/to/router.token [--host 127.0.0.1]`.
 *
 * - Upstreams are chosen by smooth weighted round robin (the nginx algorithm): with weights
 *   90/10, exactly 9 of every 10 requests go to the first upstream, evenly spread.
 * - Request and response bodies are streamed both ways.
 * - A weight change never breaks a request: in-flight requests finish on the upstream they
 *   started on. An upstream that is removed has its idle keep-alive sockets closed, and its busy
 *   sockets are closed once their request completes, so stopping the old server afterwards
 *   cannot break a request.
 * - A request whose upstream refuses the connection (nothing was sent) is retried once on
 *   another upstream with weight > 0. A request that fails on a reused keep-alive socket before
 *   any response byte (the server closed the idle socket as the request went out, so it never
 *   saw the request) is retried once when its body was small enough to be kept (64 KiB).
 * - With no upstream of weight > 0 the router answers 503 with a JSON body.
 *
 * Admin API on the same port, every call with header `x-model-ops-router-token: <token>`:
 *   PUT /__model-ops/routes  {"upstreams": {"blue": {"url": "http://127.0.0.1:1234", "weight": 100}}}
 *                            applies the table atomically and answers it
 *   GET /__model-ops/routes  answers the table
 *   GET /__model-ops/healthz answers {"status":"ok","modelId",...}
 *
 * On start it prints one JSON line to stdout:
 *   {"event":"listening","role":"router","host":"127.0.0.1","port":7100,"modelId":"...","pid":123}
 * SIGTERM / SIGINT: stops accepting connections, lets in-flight requests finish (at most 5 s),
 * exits.
 */
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');

const ADMIN_PREFIX = '/__model-ops/';
const TOKEN_HEADER = 'x-model-ops-router-token';
const RETRY_BODY_LIMIT = 64 * 1024;
const ADMIN_BODY_LIMIT = 64 * 1024;
const SHUTDOWN_GRACE_MS = 5000;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function parseArgs(argv) {
  const args = { host: '127.0.0.1', port: 0, modelId: '', tokenFile: '' };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    switch (name) {
      case '--host':
        args.host = value;
        i++;
        break;
      case '--port':
        args.port = Number(value);
        i++;
        break;
      case '--model-id':
        args.modelId = value;
        i++;
        break;
      case '--token-file':
        args.tokenFile = value;
        i++;
        break;
      default:
        throw new Error(`Unknown argument ${name}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error(`Invalid --port ${args.port}`);
  }
  if (!args.tokenFile) {
    throw new Error('--token-file is required');
  }
  return args;
}

function log(level, message, fields) {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    message,
    ...fields,
  });
  (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
}

function sendJson(res, status, body, extraHeaders) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

/** One upstream of the table, with its own keep-alive agent. */
class Upstream {
  constructor(name, url, weight, agent) {
    this.name = name;
    this.url = url;
    this.weight = weight;
    const parsed = new URL(url);
    this.hostname = parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(parsed.port || 80);
    this.hostHeader = parsed.host;
    // Idle sockets are closed after 4 s, before the server's default 5 s keep-alive timeout.
    this.agent =
      agent ||
      new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4000 });
    this.current = 0;
    this.retired = false;
  }

  /** Stop reusing connections: close idle sockets now, busy ones when their request ends. */
  retire() {
    if (this.retired) return;
    this.retired = true;
    this.agent.keepSocketAlive = () => false;
    for (const sockets of Object.values(this.agent.freeSockets)) {
      for (const socket of sockets) socket.destroy();
    }
  }
}

/** The routing table: replaced as a whole, so a request sees either the old or the new one. */
class Table {
  constructor(upstreams, revision) {
    this.upstreams = upstreams; // Map name -> Upstream
    this.revision = revision;
    this.appliedAt = new Date().toISOString();
  }

  /** Smooth weighted round robin over upstreams with weight > 0, skipping `exclude`. */
  pick(exclude) {
    let total = 0;
    let best;
    for (const upstream of this.upstreams.values()) {
      if (upstream.weight <= 0 || upstream === exclude) continue;
      upstream.current += upstream.weight;
      total += upstream.weight;
      if (!best || upstream.current > best.current) best = upstream;
    }
    if (best) best.current -= total;
    return best;
  }

  toJson() {
    const upstreams = {};
    for (const [name, upstream] of this.upstreams) {
      upstreams[name] = { url: upstream.url, weight: upstream.weight };
    }
    return { upstreams, revision: this.revision, appliedAt: this.appliedAt };
  }
}

function validateRoutes(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return 'body must be a JSON object {"upstreams": {...}}';
  }
  const upstreams = body.upstreams;
  if (!upstreams || typeof upstreams !== 'object' || Array.isArray(upstreams)) {
    return '"upstreams" must be an object of name -> {url, weight}';
  }
  for (const [name, entry] of Object.entries(upstreams)) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      return `invalid upstream name "${name}"`;
    }
    if (!entry || typeof entry !== 'object') {
      return `upstream "${name}" must be an object {url, weight}`;
    }
    if (
      !Number.isInteger(entry.weight) ||
      entry.weight < 0 ||
      entry.weight > 1000000
    ) {
      return `upstream "${name}": weight must be a non-negative integer`;
    }
    let url;
    try {
      url = new URL(entry.url);
    } catch {
      return `upstream "${name}": invalid url ${JSON.stringify(entry.url)}`;
    }
    if (
      url.protocol !== 'http:' ||
      (url.pathname !== '/' && url.pathname !== '')
    ) {
      return `upstream "${name}": url must be http://host:port with no path`;
    }
  }
  return undefined;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const token = fs.readFileSync(args.tokenFile, 'utf8').trim();
  if (token.length < 16) {
    throw new Error(`The token in ${args.tokenFile} is too short`);
  }
  const tokenBuffer = Buffer.from(token);
  const startedAt = Date.now();
  let table = new Table(new Map(), 0);
  let inFlight = 0;
  let stopping = false;

  function applyRoutes(body) {
    const next = new Map();
    for (const [name, entry] of Object.entries(body.upstreams)) {
      const url = new URL(entry.url).origin;
      const old = table.upstreams.get(name);
      if (old && old.url === url && !old.retired) {
        // Same server: keep its connections. A new Upstream object shares the agent so the
        // table can be swapped atomically; the round robin state restarts.
        next.set(name, new Upstream(name, url, entry.weight, old.agent));
      } else {
        next.set(name, new Upstream(name, url, entry.weight));
      }
    }
    const previous = table;
    table = new Table(next, previous.revision + 1);
    for (const old of previous.upstreams.values()) {
      const successor = next.get(old.name);
      if (!successor || successor.agent !== old.agent) old.retire();
    }
    log('info', 'routes applied', { routes: table.toJson() });
    return table.toJson();
  }

  function authorized(req) {
    const given = req.headers[TOKEN_HEADER];
    if (typeof given !== 'string') return false;
    const givenBuffer = Buffer.from(given);
    return (
      givenBuffer.length === tokenBuffer.length &&
      crypto.timingSafeEqual(givenBuffer, tokenBuffer)
    );
  }

  function handleAdmin(req, res) {
    if (!authorized(req)) {
      sendJson(res, 401, { error: `missing or wrong ${TOKEN_HEADER} header` });
      req.resume();
      return;
    }
    const path = req.url.split('?')[0];
    if (path === `${ADMIN_PREFIX}healthz` && req.method === 'GET') {
      sendJson(res, 200, {
        status: 'ok',
        role: 'router',
        modelId: args.modelId,
        pid: process.pid,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        inFlight,
        revision: table.revision,
      });
      return;
    }
    if (path === `${ADMIN_PREFIX}routes` && req.method === 'GET') {
      sendJson(res, 200, table.toJson());
      return;
    }
    if (path === `${ADMIN_PREFIX}routes` && req.method === 'PUT') {
      const chunks = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', chunk => {
        size += chunk.length;
        if (size > ADMIN_BODY_LIMIT) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('end', () => {
        if (tooLarge) {
          sendJson(res, 413, { error: 'routes body too large' });
          return;
        }
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
          sendJson(res, 400, { error: `invalid JSON: ${e.message}` });
          return;
        }
        const problem = validateRoutes(body);
        if (problem) {
          sendJson(res, 400, { error: problem });
          return;
        }
        sendJson(res, 200, applyRoutes(body));
      });
      return;
    }
    sendJson(res, 404, { error: `no admin endpoint ${req.method} ${path}` });
    req.resume();
  }

  function forward(req, res) {
    const first = table.pick();
    if (!first) {
      sendJson(res, 503, {
        error: 'no model server receives traffic (no upstream with weight > 0)',
        modelId: args.modelId,
      });
      req.resume();
      return;
    }
    inFlight++;
    let finished = false;
    const done = () => {
      if (!finished) {
        finished = true;
        inFlight--;
      }
    };
    res.on('close', done);

    // Keep a copy of a small body so that a request can be replayed on a fresh connection.
    const kept = [];
    let keptBytes = 0;
    let bodyReplayable = true;
    let bodyEnded = false;
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });

    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const remote = req.socket.remoteAddress || '';
    headers['x-forwarded-for'] = headers['x-forwarded-for']
      ? `${headers['x-forwarded-for']}, ${remote}`
      : remote;
    headers['x-forwarded-host'] = req.headers.host || '';
    headers['x-forwarded-proto'] = 'http';

    function attempt(upstream, attemptNo) {
      let responded = false;
      let bodyStarted = false;
      const upstreamHeaders = { ...headers, host: upstream.hostHeader };
      const proxyReq = http.request({
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders,
        agent: upstream.agent,
      });

      const onData = chunk => {
        if (bodyReplayable) {
          keptBytes += chunk.length;
          if (keptBytes > RETRY_BODY_LIMIT) {
            bodyReplayable = false;
            kept.length = 0;
          } else {
            kept.push(chunk);
          }
        }
        if (!proxyReq.write(chunk)) {
          req.pause();
          proxyReq.once('drain', () => req.resume());
        }
      };
      const onEnd = () => {
        bodyEnded = true;
        proxyReq.end();
      };
      const startBody = () => {
        if (bodyStarted) return;
        bodyStarted = true;
        if (bodyEnded) {
          // A replay: the body was fully read and kept on the first attempt.
          for (const chunk of kept) proxyReq.write(chunk);
          proxyReq.end();
          return;
        }
        for (const chunk of kept) proxyReq.write(chunk);
        req.on('data', onData);
        req.on('end', onEnd);
        req.resume();
      };
      const detachBody = () => {
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        req.pause();
      };

      proxyReq.on('socket', socket => {
        if (socket.connecting) socket.once('connect', startBody);
        else startBody();
      });

      proxyReq.on('response', proxyRes => {
        responded = true;
        const responseHeaders = {};
        for (const [name, value] of Object.entries(proxyRes.headers)) {
          if (!HOP_BY_HOP.has(name)) responseHeaders[name] = value;
        }
        responseHeaders['x-model-ops-slot'] = upstream.name;
        res.writeHead(
          proxyRes.statusCode || 502,
          proxyRes.statusMessage,
          responseHeaders,
        );
        proxyRes.pipe(res);
        proxyRes.on('error', () => res.destroy());
        proxyRes.on('aborted', () => res.destroy());
      });

      proxyReq.on('error', err => {
        if (clientGone) return;
        if (responded) {
          res.destroy(err);
          return;
        }
        const refused = !bodyStarted && err.code === 'ECONNREFUSED';
        const resetOnReuse =
          proxyReq.reusedSocket &&
          (err.code === 'ECONNRESET' || err.code === 'EPIPE') &&
          bodyReplayable;
        if (attemptNo === 1 && (refused || resetOnReuse)) {
          detachBody();
          // Refused: another upstream. Reset of a reused socket: any upstream, on a new
          // connection (the agent only hands out sockets it believes alive).
          const next = refused ? table.pick(upstream) : table.pick();
          if (next) {
            log('info', 'retrying request', {
              method: req.method,
              url: req.url,
              failed: upstream.name,
              retry: next.name,
              code: err.code,
            });
            attempt(next, 2);
            return;
          }
        }
        log('error', 'upstream request failed', {
          method: req.method,
          url: req.url,
          upstream: upstream.name,
          code: err.code,
          message: err.message,
        });
        detachBody();
        if (!res.headersSent) {
          sendJson(res, 502, {
            error: `model server ${upstream.name} failed: ${
              err.code || err.message
            }`,
            modelId: args.modelId,
          });
        } else {
          res.destroy(err);
        }
      });

      res.on('close', () => {
        if (!res.writableFinished && !proxyReq.destroyed) proxyReq.destroy();
      });
    }

    req.pause();
    attempt(first, 1);
  }

  const server = http.createServer((req, res) => {
    if (req.url.startsWith(ADMIN_PREFIX)) {
      handleAdmin(req, res);
      return;
    }
    if (stopping) res.setHeader('connection', 'close');
    forward(req, res);
  });
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;

  server.on('error', err => {
    log(
      'error',
      `router cannot listen on ${args.host}:${args.port}: ${err.message}`,
      {
        code: err.code,
      },
    );
    process.exit(2);
  });

  server.listen(args.port, args.host, () => {
    const address = server.address();
    process.stdout.write(
      `${JSON.stringify({
        event: 'listening',
        role: 'router',
        host: args.host,
        port: address.port,
        modelId: args.modelId,
        pid: process.pid,
      })}\n`,
    );
  });

  const stop = signal => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${signal}, stopping`, { inFlight });
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

try {
  main();
} catch (e) {
  log('error', `router failed to start: ${e.message}`);
  process.exit(1);
}
