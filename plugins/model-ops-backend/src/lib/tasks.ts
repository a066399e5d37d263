import {
  LifecycleService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';

/**
 * A background job of a capability: its id, its schedule (from config), where it runs, and
 * the work. `global` runs once per tick across all replicas (the scheduler's lock on the
 * shared database); `local` runs in every replica.
 *
 * @internal
 */
export interface PluginTask {
  readonly id: string;
  readonly schedule: SchedulerServiceTaskScheduleDefinition;
  readonly scope: 'global' | 'local';
  run(): Promise<void>;
}

/**
 * What a capability's `create...` factory returns: its service and its tasks, plus start and
 * stop for work that is not a scheduled task (the pipeline worker's lease loop).
 *
 * @internal
 */
export interface Capability<TService> {
  service: TService;
  tasks: PluginTask[];
  start?(): void;
  stop?(): Promise<void>;
}

/**
 * Hands every task to Backstage's scheduler.
 *
 * @internal
 */
export async function scheduleTasks(
  scheduler: SchedulerService,
  tasks: PluginTask[],
  logger: LoggerService,
): Promise<void> {
  for (const task of tasks) {
    await scheduler.scheduleTask({
      id: task.id,
      ...task.schedule,
      scope: task.scope,
      fn: async () => {
        try {
          await task.run();
        } catch (error) {
          // The scheduler logs too, but without saying which model-ops job it was.
          logger.warn(`${task.id} failed: ${error}`);
          throw error;
        }
      },
    });
  }
}

/**
 * Schedules every capability's tasks, starts the ones with work of their own and stops them at
 * shutdown.
 *
 * @internal
 */
export async function startCapabilities(
  services: {
    scheduler: SchedulerService;
    lifecycle: LifecycleService;
    logger: LoggerService;
  },
  capabilities: Array<Capability<unknown>>,
): Promise<void> {
  await scheduleTasks(
    services.scheduler,
    capabilities.flatMap(c => c.tasks),
    services.logger,
  );
  for (const capability of capabilities) {
    capability.start?.();
    const stop = capability.stop?.bind(capability);
    if (stop) services.lifecycle.addShutdownHook(() => stop());
  }
}
