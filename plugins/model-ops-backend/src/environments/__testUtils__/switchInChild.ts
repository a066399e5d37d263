/*
 * A backend reduced to one traffic switch, run as a child process by the crash test so that it
 * can be killed with SIGKILL in the middle of the switch. It prints each step as it is reached
 * (`step traffic-set`, ...) and watches health for long enough to be killed while it does.
 * Run with `node -r sucrase/register/ts`; its settings come as JSON in SWITCH_CHILD.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import knexFactory from 'knex';
import { createLocalRuntime } from '../../runtimes/local';
import { DatabaseSwitchStore } from '../DatabaseSwitchStore';
import { TrafficSwitcher } from '../TrafficSwitcher';

/** What the crash test hands the child. */
export interface SwitchChildSettings {
  database: { client: string; connection: unknown };
  local: JsonObject;
  repoRoot: string;
  owner: string;
  model: { modelId: string; entityRef: string };
}

const quiet: LoggerService = {
  error: message => process.stderr.write(`${message}\n`),
  warn: message => process.stderr.write(`${message}\n`),
  info: () => {},
  debug: () => {},
  child: () => quiet,
};

async function main() {
  const settings: SwitchChildSettings = JSON.parse(process.env.SWITCH_CHILD!);
  const knex = knexFactory({
    client: settings.database.client,
    connection: settings.database.connection as string,
    useNullAsDefault: true,
  });
  const runtime = createLocalRuntime({
    config: new ConfigReader({ modelOps: { local: settings.local } }),
    logger: quiet,
    workingDirectory: settings.repoRoot,
  });
  const switcher = new TrafficSwitcher({
    switches: DatabaseSwitchStore.create({ knex }),
    logger: quiet,
    owner: settings.owner,
    options: {
      probes: 3,
      healthWatchSeconds: 60,
      watchIntervalMs: 50,
      warmSeconds: 300,
      inputs: ['works great, love it'],
      leaseSeconds: 1,
    },
  });
  await switcher.switch({
    runtime,
    model: settings.model,
    kind: 'deployment',
    from: 'blue',
    to: 'green',
    fromVersion: '1.0.0',
    toVersion: '1.1.0',
    limits: { maxErrorRatePct: 5, maxP95Ms: 5000 },
    onStep: async step => {
      process.stdout.write(`step ${step}\n`);
    },
  });
  process.stdout.write('switched\n');
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
