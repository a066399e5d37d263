import { Readable } from 'node:stream';
import { ReadLimit } from './ArtifactError';

/**
 * Reads a stream into memory, but stops and destroys it as soon as it passes the limit, so an
 * oversized artifact costs at most the limit (plus one chunk) to refuse, whatever its length
 * claims to be.
 *
 * @internal
 */
export async function readLimited(
  stream: Readable | NodeJS.ReadableStream,
  { maxBytes, tooLarge }: ReadLimit,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const readable =
    stream instanceof Readable
      ? stream
      : Readable.from(stream, { objectMode: false });
  try {
    for await (const chunk of readable) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      total += buffer.length;
      if (total > maxBytes) {
        throw tooLarge();
      }
      chunks.push(buffer);
    }
  } finally {
    // Ends the transfer at once when the loop stopped early (limit or error).
    if (!readable.readableEnded) readable.destroy();
  }
  return Buffer.concat(chunks, total);
}
