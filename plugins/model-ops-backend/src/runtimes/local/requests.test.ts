import { InputError } from '@backstage/errors';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkModelId, checkSlot, resolveArtifactPath } from './requests';
import { tempDir } from './__testUtils__/testUtils';

describe('request checks', () => {
  it('takes model ids that are safe folder names', () => {
    expect(checkModelId('sentiment-2')).toBe('sentiment-2');
    for (const bad of ['', 'Sentiment', '-a', 'a-', '../a', 'a'.repeat(64)]) {
      expect(() => checkModelId(bad)).toThrow(InputError);
    }
    expect(() => checkModelId('a/b')).toThrow(
      'Invalid model id "a/b": expected lowercase letters, digits and dashes',
    );
  });

  it('takes the four slots only', () => {
    expect(checkSlot('green')).toBe('green');
    expect(() => checkSlot('purple' as SlotName)).toThrow(
      'Unknown slot "purple"; expected one of testing, staging, blue, green',
    );
  });

  it('finds the artifact folder from localPath or a file: uri', async () => {
    const dir = tempDir('artifact');
    await expect(
      resolveArtifactPath({ uri: 'https://x/y', version: '1', localPath: dir }),
    ).resolves.toBe(dir);
    await expect(
      resolveArtifactPath({ uri: pathToFileURL(dir).href, version: '1' }),
    ).resolves.toBe(dir);
    await expect(
      resolveArtifactPath({ uri: 'https://x/y.tgz', version: '1' }),
    ).rejects.toThrow(
      'The local runtime needs the artifact in a local folder (localPath or a file:// uri), got https://x/y.tgz',
    );
    const missing = path.join(dir, 'missing');
    await expect(
      resolveArtifactPath({ uri: pathToFileURL(missing).href, version: '1' }),
    ).rejects.toThrow(`The artifact ${missing} does not exist`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
