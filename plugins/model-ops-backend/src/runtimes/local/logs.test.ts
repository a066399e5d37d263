import fs from 'node:fs';
import path from 'node:path';
import {
  clampLogLines,
  linesSince,
  openLogSection,
  rotateLog,
  routerLogPath,
  slotLogPath,
  tailLog,
} from './logs';
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
});

describe('log sections', () => {
  it('quotes the lines written since a start, and all of them after a rotation', async () => {
    const dir = tempDir('section');
    const file = path.join(dir, 'blue.log');
    fs.writeFileSync(file, 'old 1\nold 2\n');
    const offset = await openLogSection(file, 1024, 'starting blue');
    expect(fs.readFileSync(file, 'utf8')).toBe(
      'old 1\nold 2\n[model-ops] starting blue\n',
    );
    fs.appendFileSync(file, 'new 1\n\nnew 2\nnew 3\n');
    expect(await linesSince(file, offset, 2)).toEqual(['new 2', 'new 3']);
    expect(await linesSince(file, offset, 10)).toEqual([
      'new 1',
      'new 2',
      'new 3',
    ]);
    // Rotated since: the offset is past the end, the whole (new) file is quoted.
    fs.writeFileSync(file, 'after rotation\n');
    expect(await linesSince(file, offset, 10)).toEqual(['after rotation']);
    expect(await linesSince(path.join(dir, 'none.log'), 0, 10)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rotates a large log before a new section starts', async () => {
    const dir = tempDir('section-rotate');
    const file = path.join(dir, 'router.log');
    fs.writeFileSync(file, `${'x'.repeat(2000)}\n`);
    const offset = await openLogSection(file, 1000, 'starting the router');
    expect(fs.readFileSync(file, 'utf8')).toBe(
      '[model-ops] starting the router\n',
    );
    expect(offset).toBe(fs.statSync(file).size);
    expect(fs.statSync(`${file}.1`).size).toBe(2001);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bounds the number of lines asked for', () => {
    expect(clampLogLines(5)).toBe(5);
    expect(clampLogLines(2.7)).toBe(2);
    expect(clampLogLines(-3)).toBe(0);
    expect(clampLogLines(NaN)).toBe(0);
    expect(clampLogLines(1e9)).toBe(10_000);
  });

  it('names the log files of slots and routers', () => {
    expect(slotLogPath('/state', 'm', 'blue')).toBe(
      path.join('/state', 'm', 'blue.log'),
    );
    expect(routerLogPath(path.join('/state', 'm'))).toBe(
      path.join('/state', 'm', 'router.log'),
    );
  });
});
