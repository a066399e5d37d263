/**
 * Model artifacts: a directory holding model.json, tests.json and manifest.json.
 *
 * manifest.json lists the other files with their sha256; the artifact's checksum is the sha256
 * of the manifest.json bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createModel, validateModelFile } from './model.ts';
import type { Label, Model } from './model.ts';

export interface Manifest {
  modelId: string;
  version: string;
  files: Array<{ path: string; sha256: string }>;
}

export interface TestCase {
  name: string;
  input: string;
  expected: { label: Label };
}

export interface TestsFile {
  cases: TestCase[];
}

export interface Artifact {
  dir: string;
  manifest: Manifest;
  /** sha256 of manifest.json: the artifact's checksum. */
  sha256: string;
  model: Model;
  tests: TestsFile;
}

/** An artifact that is missing, incomplete or does not match its manifest. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readBytes(dir: string, file: string): Buffer {
  try {
    return readFileSync(join(dir, file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ArtifactError(
      code === 'ENOENT'
        ? `${file} not found in ${dir}`
        : `cannot read ${join(dir, file)}: ${(e as Error).message}`,
    );
  }
}

function parseJson(file: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ArtifactError(
      `${file} is not valid JSON: ${(e as Error).message}`,
    );
  }
}

function validateManifest(json: unknown): Manifest {
  const m = json as Partial<Manifest> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.modelId !== 'string' ||
    typeof m.version !== 'string' ||
    !Array.isArray(m.files) ||
    m.files.some(
      f =>
        typeof f?.path !== 'string' ||
        !/^[0-9a-f]{64}$/.test(String(f?.sha256)),
    )
  ) {
    throw new ArtifactError(
      'manifest.json must be {"modelId","version","files":[{"path","sha256"}]} with hex sha256 values',
    );
  }
  for (const required of ['model.json', 'tests.json']) {
    if (!m.files.some(f => f.path === required)) {
      throw new ArtifactError(`manifest.json does not list ${required}`);
    }
  }
  return m as Manifest;
}

export function validateTestsFile(json: unknown): TestsFile {
  const t = json as Partial<TestsFile> | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    !Array.isArray(t.cases) ||
    t.cases.some(
      c =>
        typeof c?.name !== 'string' ||
        typeof c?.input !== 'string' ||
        (c?.expected?.label !== 'positive' &&
          c?.expected?.label !== 'negative'),
    )
  ) {
    throw new ArtifactError(
      'tests.json must be {"cases":[{"name","input","expected":{"label"}}]}',
    );
  }
  return t as TestsFile;
}

/**
 * Reads and checks an artifact directory: every file the manifest lists must exist and match
 * its sha256, and model.json must be a valid model whose modelId and version match the manifest.
 */
export function loadArtifact(directory: string): Artifact {
  const dir = resolve(directory);
  const manifestBytes = readBytes(dir, 'manifest.json');
  const manifest = validateManifest(parseJson('manifest.json', manifestBytes));
  const contents = new Map<string, Buffer>();
  for (const file of manifest.files) {
    if (file.path.includes('..') || file.path.startsWith('/')) {
      throw new ArtifactError(
        `manifest.json lists a path outside the artifact: ${file.path}`,
      );
    }
    const bytes = readBytes(dir, file.path);
    const actual = sha256(bytes);
    if (actual !== file.sha256) {
      throw new ArtifactError(
        `${file.path} does not match manifest.json (sha256 ${actual}, manifest says ${file.sha256})`,
      );
    }
    contents.set(file.path, bytes);
  }
  let model: Model;
  try {
    model = createModel(
      validateModelFile(parseJson('model.json', contents.get('model.json')!)),
    );
  } catch (e) {
    if (e instanceof ArtifactError) throw e;
    throw new ArtifactError((e as Error).message);
  }
  const tests = validateTestsFile(
    parseJson('tests.json', contents.get('tests.json')!),
  );
  if (
    model.file.modelId !== manifest.modelId ||
    model.file.version !== manifest.version
  ) {
    throw new ArtifactError(
      `model.json holds ${model.file.modelId}@${model.file.version} but manifest.json says ` +
        `${manifest.modelId}@${manifest.version}`,
    );
  }
  return { dir, manifest, sha256: sha256(manifestBytes), model, tests };
}
