/* Artifacts written on the fly for the source and size tests. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const sha256 = (data: Buffer | string) =>
  createHash('sha256').update(data).digest('hex');

/** The manifest of an artifact holding `files`, and its sha256 (the artifact's checksum). */
export function manifestOf(
  modelId: string,
  version: string,
  files: Record<string, Buffer | string>,
): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(
    JSON.stringify({
      modelId,
      version,
      files: Object.entries(files).map(([file, data]) => ({
        path: file,
        sha256: sha256(data),
      })),
    }),
  );
  return { bytes, sha256: sha256(bytes) };
}

/** Writes an artifact directory (manifest.json and `files`); returns its checksum. */
export async function writeArtifact(
  dir: string,
  modelId: string,
  version: string,
  files: Record<string, Buffer | string>,
): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (const [file, data] of Object.entries(files)) {
    await fs.writeFile(path.join(dir, file), data);
  }
  const manifest = manifestOf(modelId, version, files);
  await fs.writeFile(path.join(dir, 'manifest.json'), manifest.bytes);
  return manifest.sha256;
}
