import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ArtifactError,
  DEFAULT_MAX_ARTIFACT_BYTES,
  tooLargeError,
} from './artifacts/ArtifactError';
import { FileArtifactSource } from './artifacts/FileArtifactSource';
import { RemoteArtifactSource } from './artifacts/RemoteArtifactSource';

export { ArtifactError } from './artifacts/ArtifactError';

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
 * Where an artifact is: a directory on this host, or a URL the URL reader reads.
 *
 * @internal
 */
export type ArtifactLocation =
  | { kind: 'file'; dir: string }
  | { kind: 'http'; base: URL };

const SAFE_FILE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Fetches model artifacts into a local cache, verifying the manifest's sha256 against the
 * expected checksum and every file against the manifest.
 *
 * An artifact is a directory holding `manifest.json`; its checksum is the sha256 of the manifest's
 * bytes, which in turn lists the sha256 of every file (the scheme OCI images use). `http(s)`
 * artifacts are read through Backstage's URL reader, `file:` ones only from under the file
 * roots; every file, and the artifact as a whole, is read up to `maxBytes` and no further.
 *
 * @internal
 */
export class ArtifactFetcher {
  readonly #files: FileArtifactSource;
  readonly #remote: RemoteArtifactSource;
  readonly #maxBytes: number;

  constructor(
    private readonly options: {
      cacheDir: string;
      /** What relative `file:` URIs resolve against. */
      fileRoot: string;
      /** The folders `file:` artifacts may come from; `[fileRoot]` when absent. */
      fileRoots?: string[];
      /** The most bytes an artifact may have, per file and in total. Default 200 MiB. */
      maxBytes?: number;
      /** Reads `http(s)` artifacts; without it they are refused. */
      urlReader?: UrlReaderService;
      /** How long reading one remote file may take. Default 30 s. */
      timeoutMs?: number;
      logger?: LoggerService;
    },
  ) {
    this.#files = new FileArtifactSource({
      fileRoot: options.fileRoot,
      roots: options.fileRoots ?? [options.fileRoot],
    });
    this.#remote = new RemoteArtifactSource({
      urlReader: options.urlReader,
      timeoutMs: options.timeoutMs ?? 30_000,
      logger: options.logger,
    });
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  }

  /**
   * Where a `file:` or `http(s):` URI points; throws for other schemes and for `file:` paths
   * outside the file roots as written.
   */
  resolve(uri: string): ArtifactLocation {
    if (/^https?:\/\//i.test(uri)) {
      return { kind: 'http', base: this.#remote.resolve(uri) };
    }
    if (/^file:/i.test(uri)) {
      return { kind: 'file', dir: this.#files.resolve(uri) };
    }
    throw new ArtifactError(
      'artifact-uri',
      `Unsupported artifact URI "${uri}": use file:// , file:<relative path> or http(s)://`,
    );
  }

  /**
   * The entry check of a new run, made before it is written: the scheme, the file roots (as
   * written and by real path) or whether the URL reader serves the host. Reads no artifact
   * bytes. Throws an InputError naming `artifact.uri`.
   */
  async checkSource(uri: string): Promise<void> {
    try {
      const location = this.resolve(uri);
      if (location.kind === 'file') {
        await this.#files.check(location.dir);
        // A local artifact over the limit is refused before any run exists; a remote one can
        // only be measured while it is read (the validation stage).
        const bytes = await this.#files.size(location.dir, this.#maxBytes);
        if (bytes !== undefined && bytes > this.#maxBytes) {
          throw tooLargeError(this.#maxBytes);
        }
      } else {
        await this.#remote.check(location.base);
      }
    } catch (error) {
      if (error instanceof ArtifactError) {
        throw new InputError(
          error.message.startsWith('artifact.uri')
            ? error.message
            : `artifact.uri: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async fetch(request: {
    uri: string;
    sha256: string;
    modelId: string;
    version: string;
  }): Promise<FetchedArtifact> {
    const location = this.resolve(request.uri);
    const read = this.#reader(location);
    const manifestBytes = await read('manifest.json');
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
      try {
        for (const file of manifest.files) {
          await this.#copyVerified(read, file, staging);
        }
        await fs.writeFile(path.join(staging, 'manifest.json'), manifestBytes);
      } catch (error) {
        await fs.rm(staging, { recursive: true, force: true });
        throw error;
      }
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

  async #copyVerified(
    read: (file: string) => Promise<Buffer>,
    file: { path: string; sha256: string },
    staging: string,
  ): Promise<void> {
    if (
      typeof file?.path !== 'string' ||
      !SAFE_FILE.test(file.path) ||
      file.path.split('/').includes('..')
    ) {
      throw new ArtifactError(
        'manifest',
        `Unsafe file path in manifest: "${file?.path}"`,
      );
    }
    const bytes = await read(file.path);
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

  /**
   * Reads the files of one artifact from its source; each read may use what is left of the
   * artifact's byte budget and no more, which bounds every file and the total at once.
   */
  #reader(location: ArtifactLocation): (file: string) => Promise<Buffer> {
    let remaining = this.#maxBytes;
    const tooLarge = () => tooLargeError(this.#maxBytes);
    return async file => {
      const limit = { maxBytes: remaining, tooLarge };
      const bytes =
        location.kind === 'file'
          ? await this.#files.read(location.dir, file, limit)
          : await this.#remote.read(location.base, file, limit);
      remaining -= bytes.length;
      return bytes;
    };
  }
}
