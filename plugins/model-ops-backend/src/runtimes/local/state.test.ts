import fs from 'node:fs';
import path from 'node:path';
import { rotateLog, tailLog, writeFileAtomic } from './state';
import { tempDir } from './__testUtils__/testUtils';

describe('log files', () => {
  it('caps a log by rotating it, and tails across the rotation', async () => {
    const dir = tempDir('logs');
    const file = path.join(dir, 'blue.log');
    const line = (i: number) => `line ${i} ${'x'.repeat(90)}`;
    fs.writeFileSync(
      file,
      `${Array.from({ length: 20 }, (_, i) => line(i)).join('\n')}\n`,
    );
    await rotateLog(file, 1000);
    expect(fs.statSync(file).size).toBe(0);
    expect(fs.statSync(`${file}.1`).size).toBeGreaterThan(1000);
    fs.appendFileSync(file, `${line(20)}\n${line(21)}\n`);
    await rotateLog(file, 1000); // small: untouched
    expect(await tailLog(file, 2)).toEqual([line(20), line(21)]);
    expect(await tailLog(file, 4)).toEqual([
      line(18),
      line(19),
      line(20),
      line(21),
    ]);
    expect(await tailLog(path.join(dir, 'none.log'), 4)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

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
});
