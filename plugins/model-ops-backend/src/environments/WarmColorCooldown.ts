import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { PluginTask } from '../lib/tasks';
import { EnvironmentsService } from './EnvironmentsService';

/**
 * Stops the idle color of each model once its warm period after a switch is over, so an instant
 * rollback stays possible for a while without both colors running for ever. Once across
 * replicas.
 *
 * @internal
 */
export class WarmColorCooldown implements PluginTask {
  readonly id = 'model-ops-environments-cooldown';
  readonly scope = 'global';

  constructor(
    private readonly environments: Pick<
      EnvironmentsService,
      'stopExpiredWarmColors'
    >,
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
  ) {}

  async run(): Promise<void> {
    await this.environments.stopExpiredWarmColors();
  }
}
