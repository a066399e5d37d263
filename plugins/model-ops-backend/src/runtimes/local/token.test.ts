import fs from 'node:fs';
import { loadRouterToken, routerTokenPath } from './token';
import { tempDir } from './__testUtils__/testUtils';

describe('the router token', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('token');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is created once with mode 0600 and read back afterwards', async () => {
    const token = await loadRouterToken(dir);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const file = routerTokenPath(dir);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    fs.chmodSync(file, 0o644);
    await expect(loadRouterToken(dir)).resolves.toBe(token);
    // A loosened mode is tightened again.
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a token that is too short', async () => {
    fs.writeFileSync(routerTokenPath(dir), 'short\n', { mode: 0o600 });
    await expect(loadRouterToken(dir)).rejects.toThrow(
      'is too short; delete the file to renew it',
    );
  });
});
