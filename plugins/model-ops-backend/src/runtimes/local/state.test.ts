import fs from 'node:fs';
import path from 'node:path';
import { emptyState, readState, writeFileAtomic, writeState } from './state';
import { tempDir } from './__testUtils__/testUtils';

describe('state files', () => {
  it('writes files atomically with mode 0600', async () => {
    const dir = tempDir('atomic');
    const file = path.join(dir, 'state.json');
    await writeFileAtomic(file, '{"a":1}');
    await writeFileAtomic(file, '{"a":2}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":2}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the file as it is when the check before the rename says no', async () => {
    const dir = tempDir('atomic-check');
    const file = path.join(dir, 'state.json');
    await writeFileAtomic(file, '{"a":1}');
    const checked: string[] = [];
    const check = (answer: boolean) => async () => {
      checked.push(fs.readFileSync(file, 'utf8'));
      return answer;
    };
    await expect(
      writeFileAtomic(file, '{"a":2}', 0o600, { beforeRename: check(false) }),
    ).resolves.toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
    await expect(
      writeFileAtomic(file, '{"a":3}', 0o600, { beforeRename: check(true) }),
    ).resolves.toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":3}');
    expect(checked).toEqual(['{"a":1}', '{"a":1}']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads back what it wrote, and nothing from a folder without a state file', async () => {
    const dir = tempDir('state');
    const state = {
      ...emptyState('sentiment'),
      routerPort: 7100,
      routes: { blue: { url: 'http://127.0.0.1:9001', weight: 100 } },
    };
    await writeState(dir, state);
    await expect(readState(dir)).resolves.toEqual(state);
    await expect(readState(path.join(dir, 'none'))).resolves.toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a state file it does not know', async () => {
    const dir = tempDir('state-bad');
    fs.writeFileSync(
      path.join(dir, 'state.json'),
      JSON.stringify({ schemaVersion: 2, modelId: 'm' }),
    );
    await expect(readState(dir)).rejects.toThrow('Unrecognised state file');
    fs.writeFileSync(path.join(dir, 'state.json'), '{"schemaVersion":1,');
    await expect(readState(dir)).rejects.toThrow(SyntaxError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
