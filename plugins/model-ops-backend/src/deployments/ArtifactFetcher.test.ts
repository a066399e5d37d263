import { UrlReaderService } from '@backstage/backend-plugin-api';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findRepoRoot } from '../runtimes/local';
import { ArtifactFetcher } from './ArtifactFetcher';

const repoRoot = findRepoRoot(__dirname);
const MODEL = 'sentiment-classifier';

describe('ArtifactFetcher', () => {
  let tmp: string;
  let index: Record<string, { uri: string; sha256: string }>;
  let server: http.Server;
  let baseUrl: string;
  let urlReader: UrlReaderService;
  /** What the loopback artifact server does to the next answers. */
  let tamper: 'none' | 'model' | 'missing' = 'none';

  beforeAll(async () => {
    const raw = JSON.parse(
      await fs.readFile(
        path.join(repoRoot, 'examples/models/index.json'),
        'utf8',
      ),
    );
    index = Object.fromEntries(
      raw.models[MODEL].map(
        (e: { version: string; uri: string; sha256: string }) => [e.version, e],
      ),
    );
    // A real HTTP server on loopback serving examples/models, as an artifact store would.
    server = http.createServer(async (req, res) => {
      const file = path.join(
        repoRoot,
        'examples/models',
        decodeURIComponent(req.url ?? ''),
      );
      if (tamper === 'missing' && file.endsWith('tests.json')) {
        res.writeHead(404).end('not found');
        return;
      }
      try {
        let body = await fs.readFile(file);
        if (tamper === 'model' && file.endsWith('model.json')) {
          body = Buffer.concat([body, Buffer.from(' ')]);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    baseUrl = `http://127.0.0.1:${port}`;
    // Backstage's own URL reader, allowed to read the loopback artifact store and nothing else.
    urlReader = UrlReaders.default({
      logger: mockServices.logger.mock(),
      config: new ConfigReader({
        backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
      }),
    });
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(async () => {
    tamper = 'none';
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-artifacts-'));
  });

  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const fetcher = () =>
    new ArtifactFetcher({ cacheDir: tmp, fileRoot: repoRoot, urlReader });

  it('fetches a relative file: artifact and verifies it', async () => {
    const artifact = await fetcher().fetch({
      uri: index['1.1.0'].uri,
      sha256: index['1.1.0'].sha256,
      modelId: MODEL,
      version: '1.1.0',
    });
    expect(artifact.manifestSha256).toBe(index['1.1.0'].sha256);
    expect(artifact.model).toMatchObject({
      format: 'model-server/v1',
      version: '1.1.0',
    });
    expect(artifact.tests?.cases.length).toBeGreaterThan(5);
    expect(artifact.localPath.startsWith(tmp)).toBe(true);
  });

  it('fetches an absolute file:// artifact', async () => {
    const uri = pathToFileURL(
      path.join(repoRoot, 'examples/models', MODEL, '1.0.0'),
    ).toString();
    const artifact = await fetcher().fetch({
      uri,
      sha256: index['1.0.0'].sha256,
      modelId: MODEL,
      version: '1.0.0',
    });
    expect(artifact.model.version).toBe('1.0.0');
  });

  it('fetches an http artifact from a loopback server', async () => {
    const artifact = await fetcher().fetch({
      uri: `${baseUrl}/${MODEL}/1.1.0`,
      sha256: index['1.1.0'].sha256,
      modelId: MODEL,
      version: '1.1.0',
    });
    expect(artifact.manifest.files.map(f => f.path).sort()).toEqual([
      'model.json',
      'tests.json',
    ]);
  });

  it('refuses a file whose bytes differ from the manifest', async () => {
    tamper = 'model';
    await expect(
      fetcher().fetch({
        uri: `${baseUrl}/${MODEL}/1.1.0`,
        sha256: index['1.1.0'].sha256,
        modelId: MODEL,
        version: '1.1.0',
      }),
    ).rejects.toMatchObject({
      check: 'checksum',
      message: expect.stringMatching(/model\.json/),
    });
  });

  it('refuses a manifest with another checksum', async () => {
    await expect(
      fetcher().fetch({
        uri: index['1.1.0'].uri,
        sha256: 'f'.repeat(64),
        modelId: MODEL,
        version: '1.1.0',
      }),
    ).rejects.toMatchObject({ check: 'checksum' });
  });

  it('says which file it could not fetch', async () => {
    tamper = 'missing';
    await expect(
      fetcher().fetch({
        uri: `${baseUrl}/${MODEL}/1.1.0/`,
        sha256: index['1.1.0'].sha256,
        modelId: MODEL,
        version: '1.1.0',
      }),
    ).rejects.toMatchObject({
      check: 'fetch',
      message: expect.stringMatching(/tests\.json: HTTP 404/),
    });
  });

  it('refuses an artifact of another model or version', async () => {
    await expect(
      fetcher().fetch({
        uri: index['1.1.0'].uri,
        sha256: index['1.1.0'].sha256,
        modelId: 'fraud-detector',
        version: '1.1.0',
      }),
    ).rejects.toMatchObject({ check: 'manifest' });
    await expect(
      fetcher().fetch({
        uri: index['1.1.0'].uri,
        sha256: index['1.1.0'].sha256,
        modelId: MODEL,
        version: '9.9.9',
      }),
    ).rejects.toMatchObject({ check: 'manifest' });
  });

  it('refuses other URI schemes', () => {
    expect(() => fetcher().resolve('s3://bucket/model')).toThrow(
      /Unsupported artifact URI/,
    );
  });
});
