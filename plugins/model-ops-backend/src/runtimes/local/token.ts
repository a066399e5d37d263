import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * The header routers take their admin token from.
 *
 * @internal
 */
export const ROUTER_TOKEN_HEADER = 'x-model-ops-router-token';

const ROUTER_TOKEN_FILE = 'router.token';

/**
 * The file every router reads its admin token from: one per state folder.
 *
 * @internal
 */
export function routerTokenPath(stateDir: string): string {
  return path.join(stateDir, ROUTER_TOKEN_FILE);
}

/**
 * The admin token of the routers of a state folder: created (mode 0600) on first use, read
 * afterwards, so that a restarted backend can still change the routes of the routers it adopts.
 *
 * @internal
 */
export async function loadRouterToken(stateDir: string): Promise<string> {
  const file = routerTokenPath(stateDir);
  try {
    // `wx`: of two backends starting at once, only one writes the token.
    const handle = await fsp.open(file, 'wx', 0o600);
    const token = crypto.randomBytes(32).toString('hex');
    try {
      await handle.writeFile(`${token}\n`);
    } finally {
      await handle.close();
    }
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw e;
    }
  }
  await fsp.chmod(file, 0o600);
  const token = (await fsp.readFile(file, 'utf8')).trim();
  if (token.length < 32) {
    throw new Error(
      `The router token in ${file} is too short; delete the file to renew it`,
    );
  }
  return token;
}
