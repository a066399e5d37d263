import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { mergeStates, ModelStates } from './modelStates';
import { emptyState, ModelStateFile, SlotRecord, writeState } from './state';
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
    await expect(models.get('sentiment')).resolves.toBeUndefined();
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

  describe('on a state folder another process writes too', () => {
    const slot = (name: 'blue' | 'green', pid: number): SlotRecord => ({
      slot: name,
      pid,
      port: 9000 + pid,
      endpoint: `http://127.0.0.1:${9000 + pid}`,
      version: `${pid}.0.0`,
      startedAt: FIXED_NOW.toISOString(),
      command: ['server', name],
      artifactPath: '/artifacts',
      specHash: `hash-${pid}`,
    });
    const onDisk = (): ModelStateFile =>
      JSON.parse(
        fs.readFileSync(path.join(stateDir, 'sentiment', 'state.json'), 'utf8'),
      );

    it('finds a model another process created after the load', async () => {
      const mine = states();
      await mine.load();
      const other = states();
      const theirs = await other.open('sentiment', 'component:default/x');
      theirs.state.slots.blue = slot('blue', 1);
      await other.save(theirs);

      const found = await mine.get('sentiment');
      expect(found?.state.slots.blue).toEqual(slot('blue', 1));
      expect(found?.state.entityRef).toBe('component:default/x');
      expect(found?.adopted).toBe(false); // its processes are not checked yet
      expect(await mine.get('sentiment')).toBe(found);
      expect(await mine.open('sentiment')).toBe(found);
      await expect(mine.get('other')).resolves.toBeUndefined();
    });

    it('reloads a state file only when another process changed it', async () => {
      const mine = states();
      const entry = await mine.open('sentiment');
      entry.state.slots.blue = slot('blue', 1);
      await mine.save(entry);
      expect(entry.adopted).toBe(true);
      const state = entry.state;

      await mine.reload(entry); // its own write: nothing to take
      expect(entry.adopted).toBe(true);

      const other = states();
      const theirs = (await other.get('sentiment'))!;
      theirs.state.slots.green = slot('green', 2);
      await other.save(theirs);
      await mine.reload(entry);
      expect(entry.adopted).toBe(false);
      expect(entry.state).toBe(state); // the same object, updated
      expect(Object.keys(entry.state.slots)).toEqual(['blue', 'green']);
    });

    it('does not reload for a read while a change of the model runs', async () => {
      const mine = states();
      const entry = await mine.open('sentiment');
      await mine.save(entry);
      const other = states();
      const theirs = (await other.get('sentiment'))!;
      theirs.state.slots.green = slot('green', 2);
      await other.save(theirs);

      await mine.withLock(entry, async () => {
        await mine.reloadIfIdle(entry);
        expect(entry.state.slots.green).toBeUndefined();
      });
      await mine.reloadIfIdle(entry);
      expect(entry.state.slots.green).toEqual(slot('green', 2));
    });

    it('merges its changes into a state file another process wrote since', async () => {
      const mine = states();
      const entry = await mine.open('sentiment');
      entry.state.slots.blue = slot('blue', 1);
      entry.state.routes = {
        blue: { url: slot('blue', 1).endpoint, weight: 100 },
      };
      await mine.save(entry);

      // Another process, with the file as this one wrote it, deploys green.
      const other = states();
      const theirs = (await other.get('sentiment'))!;
      theirs.state.slots.green = slot('green', 2);
      theirs.state.routerPort = 7100;
      await other.save(theirs);

      // This one, on its older picture, moves the traffic: green and the port stay.
      entry.state.routes = {
        blue: { url: slot('blue', 1).endpoint, weight: 0 },
      };
      await mine.save(entry);
      expect(onDisk()).toMatchObject({
        routerPort: 7100,
        slots: { blue: slot('blue', 1), green: slot('green', 2) },
        routes: { blue: { url: slot('blue', 1).endpoint, weight: 0 } },
      });
      // What it took in is in its picture too, to be adopted before the next change.
      expect(entry.state.slots.green).toEqual(slot('green', 2));
      expect(entry.adopted).toBe(false);

      // A removal is a change as well; and the other process's write is merged in turn.
      delete entry.state.slots.blue;
      await mine.save(entry);
      theirs.state.entityRef = 'component:default/sentiment';
      await other.save(theirs);
      expect(onDisk().slots).toEqual({ green: slot('green', 2) });
      expect(onDisk().entityRef).toBe('component:default/sentiment');
      expect(
        fs
          .readdirSync(path.join(stateDir, 'sentiment'))
          .filter(f => f.endsWith('.tmp')),
      ).toEqual([]);
    });

    it('keeps its own change of a field both changed, and names the conflict', () => {
      const base = { ...emptyState('m'), slots: { blue: slot('blue', 1) } };
      const ours = { ...base, slots: { blue: slot('blue', 3) } };
      const theirs = {
        ...base,
        routerPort: 7000,
        slots: { blue: slot('blue', 2) },
      };
      const merged = mergeStates(base, ours, theirs);
      expect(merged.state.slots).toEqual({ blue: slot('blue', 3) });
      expect(merged.state.routerPort).toBe(7000);
      expect(merged.conflicts).toEqual(['slot blue']);
      expect(merged.taken).toEqual(['routerPort']);
      // The same value whatever the key order is no change.
      const reordered = mergeStates(
        { ...base, routes: { blue: { url: 'u', weight: 1 } } },
        {
          ...base,
          routes: { blue: { weight: 1, url: 'u' } },
        },
        base,
      );
      expect(reordered.state.routes).toBeUndefined();
      expect(reordered.taken).toEqual(['routes']);
    });
  });
});
