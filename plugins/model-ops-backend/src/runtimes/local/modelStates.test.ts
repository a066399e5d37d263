import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { ModelStates } from './modelStates';
import { emptyState, writeState } from './state';
import { FIXED_NOW, tempDir } from './__testUtils__/testUtils';

describe('ModelStates', () => {
  let stateDir: string;
  const logger = mockServices.logger.mock();
  const states = () =>
    new ModelStates({ stateDir, clock: () => FIXED_NOW, logger });

  beforeEach(() => {
    stateDir = tempDir('model-states');
  });
  afterEach(() => {
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('loads the state files of model folders and skips the rest', async () => {
    const write = async (folder: string, modelId: string) => {
      fs.mkdirSync(path.join(stateDir, folder));
      await writeState(path.join(stateDir, folder), emptyState(modelId));
    };
    await write('sentiment', 'sentiment');
    await write('other', 'not-other'); // a copied folder: not adopted
    await write('Bad_Name', 'Bad_Name');
    fs.mkdirSync(path.join(stateDir, 'empty'));
    fs.mkdirSync(path.join(stateDir, 'broken'));
    fs.writeFileSync(path.join(stateDir, 'broken', 'state.json'), 'nope');
    fs.writeFileSync(path.join(stateDir, 'router.token'), 'x');

    const loaded = await states().load();
    expect(loaded.map(e => [e.modelId, e.dir])).toEqual([
      ['sentiment', path.join(stateDir, 'sentiment')],
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        `Ignoring ${path.join(stateDir, 'broken', 'state.json')}`,
      ),
    );
  });

  it('creates a model on first use and saves it with the time of the clock', async () => {
    const models = states();
    expect(models.get('sentiment')).toBeUndefined();
    const entry = await models.open('sentiment', 'component:default/sentiment');
    expect(await models.open('sentiment')).toBe(entry);
    expect(models.all()).toEqual([entry]);
    await models.save(entry);
    const saved = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
    );
    expect(saved).toMatchObject({
      modelId: 'sentiment',
      entityRef: 'component:default/sentiment',
      updatedAt: FIXED_NOW.toISOString(),
    });
    expect(fs.statSync(path.join(stateDir, 'sentiment')).mode & 0o777).toBe(
      0o700,
    );
  });

  it('runs the changes of a model one at a time, also after a failure', async () => {
    const models = states();
    const entry = await models.open('sentiment');
    const order: string[] = [];
    let release = () => {};
    const first = models.withLock(entry, async () => {
      order.push('first starts');
      await new Promise<void>(resolve => {
        release = resolve;
      });
      order.push('first ends');
      throw new Error('first failed');
    });
    const second = models.withLock(entry, async () => {
      order.push('second');
      return 2;
    });
    await new Promise(resolve => setImmediate(resolve));
    expect(order).toEqual(['first starts']);
    release();
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBe(2);
    expect(order).toEqual(['first starts', 'first ends', 'second']);
  });
});
