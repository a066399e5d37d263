import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The manifest at the root of an artifact: every file with its sha256.
 *
 * @internal
 */
export interface ArtifactManifest {
  modelId: string;
  version: string;
  files: Array<{ path: string; sha256: string }>;
}

/**
 * An artifact fetched into the local cache and verified.
 *
 * @internal
 */
export interface FetchedArtifact {
  localPath: string;
  manifest: ArtifactManifest;
  manifestSha256: string;
  /** The parsed model.json. */
  model: {
    format?: string;
    framework?: string;
    modelId?: string;
    version?: string;
  } & Record<string, unknown>;
  /** The parsed tests.json, when the artifact ships one. */
  tests?: {
    cases: Array<{ name?: string; input: string; expected: { label: string } }>;
  };
}

/**
 * A failed fetch or verification, with the step that failed.
 *
 * @internal
 */
export class ArtifactError extends Error {
  constructor(readonly check: string, message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

const SAFE_FILE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Fetches model artifacts from `file:` and `http(s):` locations into a local cache, verifying the
 * manifest's sha256 against the expected checksum and every file against the manifest.
 *
 * An artifact is a directory holding `manifest.json`; its checksum is the sha256 of the manifest's
 * bytes, which in turn lists the sha256 of every file (the scheme OCI images use).
 *
 * @internal
 */
export class ArtifactFetcher {
  constructor(
    private readonly options: {
      cacheDir: string;
      /** What relative `file:` URIs are resolved against. */
      fileRoot: string;
      fetch?: typeof fetch;
      timeoutMs?: number;
    },
  ) {}

  /** Where a `file:` or `http(s):` URI points; throws for other schemes. */
  resolve(
    uri: string,
  ): { kind: 'file'; dir: string } | { kind: 'http'; base: URL } {
    if (/^https?:\/\//i.test(uri)) {
      const base = new URL(uri);
      if (!base.pathname.endsWith('/')) base.pathname += '/';
      return { kind: 'http', base };
    }
    if (uri.startsWith('file://')) {
      return { kind: 'file', dir: fileURLToPath(uri) };
    }
    if (uri.startsWith('file:')) {
      return {
        kind: 'file',
        dir: path.resolve(this.options.fileRoot, uri.slice('file:'.length)),
      };
    }
    throw new ArtifactError(
      'artifact-uri',
      `Unsupported artifact URI "${uri}": use file:// , file:<relative path> or http(s)://`,
    );
  }

  async fetch(request: {
    uri: string;
    sha256: string;
    modelId: string;
    version: string;
  }): Promise<FetchedArtifact> {
    const location = this.resolve(request.uri);
    const manifestBytes = await this.read(location, 'manifest.json');
    const manifestSha256 = sha256(manifestBytes);
    if (manifestSha256 !== request.sha256.toLowerCase()) {
      throw new ArtifactError(
        'checksum',
        `Checksum mismatch: the artifact's manifest.json has sha256 ${manifestSha256}, expected ${request.sha256}`,
      );
    }
    let manifest: ArtifactManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch (error) {
      throw new ArtifactError(
        'manifest',
        `manifest.json is not valid JSON: ${error}`,
      );
    }
    if (!Array.isArray(manifest.files) || manifest.files.length === 0) {
      throw new ArtifactError('manifest', 'manifest.json lists no files');
    }
    if (manifest.modelId !== request.modelId) {
      throw new ArtifactError(
        'manifest',
        `The artifact is for model "${manifest.modelId}", not "${request.modelId}"`,
      );
    }
    if (manifest.version !== request.version) {
      throw new ArtifactError(
        'manifest',
        `The artifact holds version "${manifest.version}", not "${request.version}"`,
      );
    }

    const target = path.join(
      this.options.cacheDir,
      request.modelId,
      `${request.version}-${manifestSha256.slice(0, 16)}`,
    );
    if (!(await this.isComplete(target, manifest))) {
      const staging = `${target}.tmp-${process.pid}-${Date.now()}`;
      await fs.rm(staging, { recursive: true, force: true });
      await fs.mkdir(staging, { recursive: true });
      for (const file of manifest.files) {
        if (!SAFE_FILE.test(file.path) || file.path.split('/').includes('..')) {
          throw new ArtifactError(
            'manifest',
            `Unsafe file path in manifest: "${file.path}"`,
          );
        }
        const bytes = await this.read(location, file.path);
        const actual = sha256(bytes);
        if (actual !== file.sha256) {
          throw new ArtifactError(
            'checksum',
            `Checksum mismatch for ${file.path}: sha256 ${actual}, the manifest says ${file.sha256}`,
          );
        }
        const dest = path.join(staging, file.path);
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.writeFile(dest, bytes);
      }
      await fs.writeFile(path.join(staging, 'manifest.json'), manifestBytes);
      await fs.rm(target, { recursive: true, force: true });
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(staging, target);
    }

    const model = await this.readJson(target, 'model.json');
    if (!model) {
      throw new ArtifactError('manifest', 'The artifact has no model.json');
    }
    const tests = await this.readJson(target, 'tests.json');
    return {
      localPath: target,
      manifest,
      manifestSha256,
      model: model as FetchedArtifact['model'],
      tests: tests as FetchedArtifact['tests'],
    };
  }

  private async isComplete(
    dir: string,
    manifest: ArtifactManifest,
  ): Promise<boolean> {
    try {
      for (const file of manifest.files) {
        const bytes = await fs.readFile(path.join(dir, file.path));
        if (sha256(bytes) !== file.sha256) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  private async readJson(dir: string, name: string): Promise<unknown> {
    try {
      return JSON.parse(await fs.readFile(path.join(dir, name), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ArtifactError(
        'manifest',
        `${name} is not valid JSON: ${error}`,
      );
    }
  }

  private async read(
    location: ReturnType<ArtifactFetcher['resolve']>,
    file: string,
  ): Promise<Buffer> {
    if (location.kind === 'file') {
      try {
        return await fs.readFile(path.join(location.dir, file));
      } catch (error) {
        throw new ArtifactError(
          'fetch',
          `Cannot read ${path.join(location.dir, file)}: ${
            (error as Error).message
          }`,
        );
      }
    }
    const url = new URL(file, location.base);
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(url, {
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new ArtifactError(
        'fetch',
        `Cannot fetch ${url}: ${(error as Error).message}`,
      );
    }
    if (!response.ok) {
      throw new ArtifactError(
        'fetch',
        `Cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`,
      );
    }
    return Buffer.from(await response.arrayBuffer());
  }
}
