import { Dirent, constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactError, ReadLimit } from './ArtifactError';
import { readLimited } from './readLimited';

const NOT_UNDER_ROOT =
  'artifact.uri is not under an allowed file root (modelOps.artifacts.fileRoots)';

function isWithin(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) &&
      relative !== '..' &&
      !path.isAbsolute(relative))
  );
}

/**
 * `file:` artifacts, read only from under the configured roots. The check is made twice: on
 * the path as written (so `..` cannot leave a root) and on its real path (so a symlink cannot
 * either); the real path of each file is checked again right before it is opened.
 *
 * @internal
 */
export class FileArtifactSource {
  readonly #fileRoot: string;
  readonly #roots: string[];

  constructor(options: {
    /** What relative `file:` URIs resolve against. */
    fileRoot: string;
    /** Absolute folders artifacts may come from. */
    roots: string[];
  }) {
    this.#fileRoot = options.fileRoot;
    this.#roots = options.roots.map(root => path.resolve(root));
  }

  /** The directory a `file:` URI names, refused unless it is under a root as written. */
  resolve(uri: string): string {
    let dir: string;
    if (uri.toLowerCase().startsWith('file://')) {
      try {
        dir = fileURLToPath(uri);
      } catch {
        throw new ArtifactError(
          'artifact-uri',
          'artifact.uri is not a valid file:// URI: use file:///absolute/path or file:relative/path',
        );
      }
    } else {
      dir = path.resolve(this.#fileRoot, uri.slice('file:'.length));
    }
    if (!this.#roots.some(root => isWithin(root, dir))) {
      throw new ArtifactError('artifact-uri', NOT_UNDER_ROOT);
    }
    return dir;
  }

  /**
   * Refuses a directory whose real path leaves every root. A directory that does not exist yet
   * is judged by its deepest existing parent; its files are checked again when read.
   */
  async check(dir: string): Promise<void> {
    let existing = dir;
    let rest = '';
    for (;;) {
      let real: string;
      try {
        real = await fs.realpath(existing);
      } catch (error) {
        const parent = path.dirname(existing);
        if (
          (error as NodeJS.ErrnoException).code !== 'ENOENT' ||
          parent === existing
        ) {
          throw new ArtifactError(
            'artifact-uri',
            `artifact.uri cannot be resolved: ${
              (error as NodeJS.ErrnoException).code ?? 'unknown error'
            }`,
          );
        }
        rest = path.join(path.basename(existing), rest);
        existing = parent;
        continue;
      }
      await this.#assertUnderRealRoot(path.join(real, rest));
      return;
    }
  }

  /**
   * The bytes of the regular files under `dir` (symlinks are not followed: a link out of the
   * root is refused when read anyway), counted until `limit` is passed; undefined when `dir`
   * does not exist yet. The walk visits at most 10,000 entries, so a hostile tree cannot stall
   * it; what it does not visit is still limited while the fetch reads it.
   */
  async size(dir: string, limit: number): Promise<number | undefined> {
    let total = 0;
    let visited = 0;
    const pending = [dir];
    while (pending.length > 0 && total <= limit && visited < 10_000) {
      const current = pending.pop()!;
      let entries: Dirent[];
      try {
        entries = await fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (
          current === dir &&
          (error as NodeJS.ErrnoException).code === 'ENOENT'
        ) {
          return undefined;
        }
        return total;
      }
      for (const entry of entries) {
        visited++;
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) pending.push(full);
        else if (entry.isFile()) {
          total += (await fs.lstat(full).catch(() => undefined))?.size ?? 0;
        }
      }
    }
    return total;
  }

  /** One file of the artifact at `dir`, within the limit. */
  async read(dir: string, file: string, limit: ReadLimit): Promise<Buffer> {
    let real: string;
    try {
      real = await fs.realpath(path.join(dir, file));
    } catch (error) {
      throw this.#readError(file, error);
    }
    await this.#assertUnderRealRoot(real);
    let handle: fs.FileHandle;
    try {
      // The real path has no symlink left; O_NOFOLLOW refuses one swapped in since.
      handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw this.#readError(file, error);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new ArtifactError(
          'fetch',
          `Cannot read ${file} from artifact.uri: it is not a file`,
        );
      }
      if (stat.size > limit.maxBytes) throw limit.tooLarge();
      // Streamed with the limit too: the file may grow while it is read.
      return await readLimited(
        handle.createReadStream({ autoClose: false }),
        limit,
      );
    } finally {
      await handle.close();
    }
  }

  async #assertUnderRealRoot(real: string): Promise<void> {
    const roots = await this.#resolveRealRoots();
    if (!roots.some(root => isWithin(root, real))) {
      throw new ArtifactError('artifact-uri', NOT_UNDER_ROOT);
    }
  }

  /**
   * Roots are compared by real path too (a root may itself be a symlink, like /tmp on macOS);
   * resolved on every check, as a root may be created after start.
   */
  async #resolveRealRoots(): Promise<string[]> {
    const roots = await Promise.all(
      this.#roots.map(root => fs.realpath(root).catch(() => undefined)),
    );
    return roots.filter((r): r is string => r !== undefined);
  }

  #readError(file: string, error: unknown): ArtifactError {
    if (error instanceof ArtifactError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    return new ArtifactError(
      'fetch',
      `Cannot read ${file} from artifact.uri: ${
        code === 'ENOENT' ? 'no such file' : code ?? 'read failed'
      }`,
    );
  }
}
