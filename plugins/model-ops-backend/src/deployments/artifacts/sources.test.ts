/*
 * Where artifacts may come from: `file:` only under the file roots (as written and by real
 * path), `http(s)` only through Backstage's real URL reader and its `backend.reading.allow`,
 * every read bounded by the size limit, and no failure message echoing a host path outside a
 * root or a remote body.
 */
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArtifactFetcher } from '../ArtifactFetcher';
import { manifestOf, writeArtifact } from './__testUtils__/artifacts';

const MODEL = 'm';
const FILES = { 'model.json': '{"format":"model-server/v1"}' };

describe('artifact sources', () => {
  let tmp: string;
  let cache: string;

  beforeEach(async () => {
    tmp = await fs.realpath(
      await fs.mkdtemp(path.join(os.tmpdir(), 'model-ops-sources-')),
    );
    cache = path.join(tmp, 'cache');
  });

  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  describe('file:', () => {
    let goodSha: string;
    const fetcher = (
      options: { fileRoots?: string[]; maxBytes?: number } = {},
    ) =>
      new ArtifactFetcher({
        cacheDir: cache,
        fileRoot: tmp,
        fileRoots: options.fileRoots ?? [path.join(tmp, 'root')],
        maxBytes: options.maxBytes,
      });

    beforeEach(async () => {
      goodSha = await writeArtifact(
        path.join(tmp, 'root/good'),
        MODEL,
        '1',
        FILES,
      );
      await writeArtifact(path.join(tmp, 'outside/secret'), MODEL, '1', FILES);
      await fs.symlink(
        path.join(tmp, 'outside/secret'),
        path.join(tmp, 'root/link'),
      );
      // An artifact under the root whose model.json is a symlink to a file outside it.
      await fs.mkdir(path.join(tmp, 'root/evil'));
      await fs.symlink(
        path.join(tmp, 'outside/secret/model.json'),
        path.join(tmp, 'root/evil/model.json'),
      );
      await fs.copyFile(
        path.join(tmp, 'outside/secret/manifest.json'),
        path.join(tmp, 'root/evil/manifest.json'),
      );
    });

    it.each([
      [
        'an absolute path outside the roots',
        () => `file:${tmp}/outside/secret`,
      ],
      ['a file:// URL outside the roots', () => `file://${tmp}/outside/secret`],
      ['a way out by ..', () => 'file:root/../outside/secret'],
      ['a symlink out of the root', () => 'file:root/link'],
      ['a path below a symlink out', () => 'file:root/link/not/there/yet'],
      ['/etc', () => 'file:/etc'],
    ])(
      'refuses %s before anything is read, naming artifact.uri',
      async (_, uri) => {
        const error = await fetcher()
          .checkSource(uri())
          .catch(e => e);
        expect(error).toBeInstanceOf(InputError);
        expect(error.message).toBe(
          'artifact.uri is not under an allowed file root (modelOps.artifacts.fileRoots)',
        );
        expect(error.message).not.toContain(tmp);
      },
    );

    it('accepts a directory under a root, even one that does not exist yet', async () => {
      await expect(
        fetcher().checkSource('file:root/good'),
      ).resolves.toBeUndefined();
      await expect(
        fetcher().checkSource(
          pathToFileURL(path.join(tmp, 'root/good')).toString(),
        ),
      ).resolves.toBeUndefined();
      await expect(
        fetcher().checkSource('file:root/not-yet'),
      ).resolves.toBeUndefined();
      const artifact = await fetcher().fetch({
        uri: 'file:root/good',
        sha256: goodSha,
        modelId: MODEL,
        version: '1',
      });
      expect(artifact.model.format).toBe('model-server/v1');
    });

    it('refuses a file that is a symlink out of the root when it is read', async () => {
      await expect(
        fetcher().checkSource('file:root/evil'),
      ).resolves.toBeUndefined();
      const error = await fetcher()
        .fetch({
          uri: 'file:root/evil',
          sha256: goodSha,
          modelId: MODEL,
          version: '1',
        })
        .catch(e => e);
      expect(error).toMatchObject({
        check: 'artifact-uri',
        message:
          'artifact.uri is not under an allowed file root (modelOps.artifacts.fileRoots)',
      });
      // Nothing of it was kept in the cache.
      expect(await fs.readdir(path.join(cache, MODEL))).toEqual([]);
    });

    it('allows no file: artifact at all with no roots', async () => {
      await expect(
        fetcher({ fileRoots: [] }).checkSource('file:root/good'),
      ).rejects.toThrow(/not under an allowed file root/);
    });

    it('says which file is missing without the host path', async () => {
      await fs.rm(path.join(tmp, 'root/good/model.json'));
      const error = await fetcher()
        .fetch({
          uri: 'file:root/good',
          sha256: goodSha,
          modelId: MODEL,
          version: '1',
        })
        .catch(e => e);
      expect(error.message).toBe(
        'Cannot read model.json from artifact.uri: no such file',
      );
    });

    it('stops at the size limit, per file and in total', async () => {
      const big = await writeArtifact(path.join(tmp, 'root/big'), MODEL, '1', {
        'model.json': 'x'.repeat(5000),
      });
      await expect(
        fetcher({ maxBytes: 4096 }).fetch({
          uri: 'file:root/big',
          sha256: big,
          modelId: MODEL,
          version: '1',
        }),
      ).rejects.toMatchObject({
        check: 'size',
        message:
          'artifact.uri: the artifact is larger than the limit of 4096 bytes (modelOps.artifacts.maxBytes)',
      });
      // Each file fits, the two together do not.
      const pair = await writeArtifact(
        path.join(tmp, 'root/pair'),
        MODEL,
        '1',
        {
          'model.json': 'a'.repeat(1500),
          'tests.json': 'b'.repeat(1500),
        },
      );
      await expect(
        fetcher({ maxBytes: 3000 }).fetch({
          uri: 'file:root/pair',
          sha256: pair,
          modelId: MODEL,
          version: '1',
        }),
      ).rejects.toMatchObject({ check: 'size' });
    });
  });

  describe('http(s) through the URL reader', () => {
    let server: http.Server;
    let port: number;
    let requests: string[];
    let bigBytesSent: number;
    let bigClosed: Promise<void>;
    const bigManifest = manifestOf(MODEL, '1', { 'big.bin': 'unused' });

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        requests.push(req.url ?? '');
        if (req.url === '/big/manifest.json') {
          res.end(bigManifest.bytes);
        } else if (req.url === '/big/big.bin') {
          // Endless: only the reader stopping ends it.
          bigClosed = new Promise(resolve => res.on('close', resolve));
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = () => {
            while (!res.destroyed && res.write(chunk))
              bigBytesSent += chunk.length;
          };
          res.on('drain', pump);
          pump();
        } else if (req.url?.startsWith('/redirect/')) {
          res
            .writeHead(302, {
              location: `http://localhost:${port}/ok/manifest.json`,
            })
            .end();
        } else {
          res.writeHead(500).end('secret remote body');
        }
      });
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    });

    beforeEach(() => {
      requests = [];
      bigBytesSent = 0;
    });

    const fetcher = (maxBytes?: number) =>
      new ArtifactFetcher({
        cacheDir: cache,
        fileRoot: tmp,
        maxBytes,
        urlReader: UrlReaders.default({
          logger: mockServices.logger.mock(),
          config: new ConfigReader({
            backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
          }),
        }),
      });

    it('refuses a host backend.reading.allow does not list, without a request', async () => {
      const error = await fetcher()
        .checkSource(`http://localhost:${port}/ok`)
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        'artifact.uri: reading is not allowed for this host (backend.reading.allow)',
      );
      await expect(
        fetcher().checkSource('https://artifacts.example.com/m/1'),
      ).rejects.toThrow(/backend\.reading\.allow/);
      expect(requests).toEqual([]);
    });

    it('accepts an allowed host without fetching anything', async () => {
      await expect(
        fetcher().checkSource(`http://127.0.0.1:${port}/ok`),
      ).resolves.toBeUndefined();
      expect(requests).toEqual([]);
    });

    it('refuses http artifacts when there is no URL reader', async () => {
      const bare = new ArtifactFetcher({ cacheDir: cache, fileRoot: tmp });
      await expect(
        bare.checkSource(`http://127.0.0.1:${port}/ok`),
      ).rejects.toThrow(/no URL reader/);
    });

    it('refuses a redirect to a host that is not allowed', async () => {
      const error = await fetcher()
        .fetch({
          uri: `http://127.0.0.1:${port}/redirect`,
          sha256: 'a'.repeat(64),
          modelId: MODEL,
          version: '1',
        })
        .catch(e => e);
      expect(error.message).toBe(
        'artifact.uri: reading is not allowed for this host (backend.reading.allow)',
      );
    });

    it('never echoes a remote answer', async () => {
      const error = await fetcher()
        .fetch({
          uri: `http://127.0.0.1:${port}/broken`,
          sha256: 'a'.repeat(64),
          modelId: MODEL,
          version: '1',
        })
        .catch(e => e);
      expect(error.check).toBe('fetch');
      expect(error.message).toMatch(
        /^Cannot fetch manifest\.json from artifact\.uri/,
      );
      expect(error.message).not.toMatch(/secret|127\.0\.0\.1/);
    });

    it('stops reading a body over the limit', async () => {
      const maxBytes = 256 * 1024;
      const error = await fetcher(maxBytes)
        .fetch({
          uri: `http://127.0.0.1:${port}/big`,
          sha256: bigManifest.sha256,
          modelId: MODEL,
          version: '1',
        })
        .catch(e => e);
      expect(error).toMatchObject({
        check: 'size',
        message: expect.stringMatching(/^artifact\.uri: .*262144 bytes/),
      });
      await bigClosed;
      // What was sent before the reader hung up: the limit plus what sockets buffer on the way.
      expect(bigBytesSent).toBeLessThan(16 * 1024 * 1024);
    });
  });
});
