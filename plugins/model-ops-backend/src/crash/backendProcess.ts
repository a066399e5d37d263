/*
 * A real portal backend, started as a child process by the crash suite so that it can be killed
 * with SIGKILL: Backstage's `createBackend()` with the catalog (reading the suite's catalog
 * file), the permission backend with the portal's policy (in `allow-all` mode) and the Model Ops
 * plugin from this package's source. Its config comes from `--config` files, as the portal's
 * does. The catalog, permission and policy modules are taken from `packages/backend`, whose
 * dependencies they are, so this package declares nothing new.
 *
 * Run with `node -r sucrase/register/ts backendProcess.ts --config <file>`. It prints
 * `{"event":"backend-started","ms":N}` on stdout once the backend serves, N being the time
 * since the process started.
 */
import { createBackend } from '@backstage/backend-defaults';
import { BackendFeature } from '@backstage/backend-plugin-api';
import path from 'node:path';
import { findRepoRoot } from '../runtimes/local';
import { modelOpsPlugin } from '../plugin';

// Run from source only, never from a build.
// eslint-disable-next-line no-restricted-syntax
const portalBackend = path.join(findRepoRoot(__dirname), 'packages/backend');

/** A backend feature the portal's backend package depends on, loaded from there. */
function fromPortal(id: string): BackendFeature {
  // eslint-disable-next-line @backstage/no-undeclared-imports, import/no-dynamic-require
  const loaded = require(require.resolve(id, { paths: [portalBackend] }));
  return (loaded.default ?? loaded) as BackendFeature;
}

async function main() {
  const backend = createBackend();
  backend.add(fromPortal('@backstage/plugin-catalog-backend'));
  backend.add(fromPortal('@backstage/plugin-permission-backend'));
  backend.add(
    fromPortal(path.join(portalBackend, 'src/modules/permissionPolicy')),
  );
  backend.add(modelOpsPlugin);
  await backend.start();
  process.stdout.write(
    `${JSON.stringify({
      event: 'backend-started',
      ms: Math.round(performance.now()),
    })}\n`,
  );
}

main().catch(error => {
  process.stderr.write(`backend failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
