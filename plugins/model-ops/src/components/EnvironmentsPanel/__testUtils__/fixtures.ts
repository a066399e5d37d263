import {
  CanaryState,
  DeploymentRun,
  EnvironmentsResponse,
  ModelDetails,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { deployedModel, succeededRun } from '../../../__testUtils__/fixtures';

/** A blue-green model; blue serves 1.1.0, green still runs 1.0.0. */
export const envModel: ModelDetails = {
  ...deployedModel,
  productionVersion: '1.1.0',
  activeSlot: 'blue',
};

export const WARM_UNTIL = '2099-01-01T12:30:00.000Z';

export const deploymentSwitch: SwitchRecord = {
  id: 'sw-2',
  modelId: 'sentiment-classifier',
  kind: 'deployment',
  from: 'green',
  to: 'blue',
  fromVersion: '1.0.0',
  toVersion: '1.1.0',
  requestedBy: 'user:default/alice',
  reason: 'release 1.1.0',
  runId: 'run-7',
  status: 'succeeded',
  checks: [
    {
      name: 'health',
      ok: true,
      detail: 'blue answered 200',
      at: '2026-11-26T09:00:01.000Z',
    },
    {
      name: 'smoke',
      ok: true,
      detail: '3 of 3 requests succeeded',
      at: '2026-11-26T09:00:02.000Z',
      durationMs: 40,
    },
  ],
  startedAt: '2026-11-26T09:00:00.000Z',
  finishedAt: '2026-11-26T09:00:03.000Z',
  durationMs: 3000,
};

export const failedSwitch: SwitchRecord = {
  id: 'sw-1',
  modelId: 'sentiment-classifier',
  kind: 'switch',
  from: 'blue',
  to: 'green',
  fromVersion: '0.9.0',
  toVersion: '1.0.0',
  requestedBy: 'user:default/bob',
  reason: 'try 1.0.0',
  status: 'failed',
  error: 'green did not become healthy within 30 s',
  checks: [
    {
      name: 'health',
      ok: false,
      detail: 'green answered 503',
      at: '2026-11-25T10:00:30.000Z',
    },
  ],
  startedAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T10:00:30.000Z',
};

/** Blue active at 100 %, green idle and warm, two recorded switches (oldest first). */
export const blueActive: EnvironmentsResponse = {
  productionEndpoint: 'http://127.0.0.1:41000',
  activeSlot: 'blue',
  slots: [
    {
      slot: 'blue',
      version: '1.1.0',
      endpoint: 'http://127.0.0.1:41001',
      state: 'running',
      trafficWeight: 100,
      active: true,
      health: 'healthy',
    },
    {
      slot: 'green',
      version: '1.0.0',
      endpoint: 'http://127.0.0.1:41002',
      state: 'running',
      trafficWeight: 0,
      active: false,
      health: 'healthy',
      warmUntil: WARM_UNTIL,
    },
  ],
  history: [failedSwitch, deploymentSwitch],
};

/** As {@link blueActive}, but green has been stopped: a rollback must redeploy. */
export const greenCold: EnvironmentsResponse = {
  ...blueActive,
  slots: [
    blueActive.slots[0],
    {
      ...blueActive.slots[1],
      state: 'stopped',
      health: 'absent',
      warmUntil: undefined,
    },
  ],
};

/** Blue serves, green never ran anything. */
export const greenEmpty: EnvironmentsResponse = {
  activeSlot: 'blue',
  slots: [
    blueActive.slots[0],
    { slot: 'green', state: 'empty', trafficWeight: 0, active: false },
  ],
  history: [],
};

export const switchInProgress: SwitchRecord = {
  id: 'sw-3',
  modelId: 'sentiment-classifier',
  kind: 'switch',
  from: 'blue',
  to: 'green',
  fromVersion: '1.1.0',
  toVersion: '1.0.0',
  requestedBy: 'user:default/guest',
  status: 'in_progress',
  checks: [],
  startedAt: '2026-11-26T10:00:00.000Z',
};

/** Traffic moving from blue to green. */
export const switching: EnvironmentsResponse = {
  ...blueActive,
  history: [...blueActive.history, switchInProgress],
};

/** The switch of {@link switching} done: green serves. */
export const switched: EnvironmentsResponse = {
  ...blueActive,
  activeSlot: 'green',
  slots: [
    {
      ...blueActive.slots[0],
      active: false,
      trafficWeight: 0,
      warmUntil: WARM_UNTIL,
    },
    {
      ...blueActive.slots[1],
      active: true,
      trafficWeight: 100,
      warmUntil: undefined,
    },
  ],
  history: [
    ...blueActive.history,
    {
      ...switchInProgress,
      status: 'succeeded',
      finishedAt: '2026-11-26T10:00:02.000Z',
      durationMs: 2000,
    },
  ],
};

export const canary: CanaryState = {
  runId: 'run-canary',
  version: '1.2.0',
  slot: 'green',
  steps: [10, 50, 100],
  step: 1,
  weight: 50,
  status: 'progressing',
  analyses: [
    {
      step: 0,
      weight: 10,
      at: '2026-11-26T11:01:00.000Z',
      ok: true,
      canary: { requests: 120, errorRatePct: 0, p95Ms: 12.5 },
      stable: { requests: 1080, errorRatePct: 0.1, p95Ms: 11 },
      reasons: [],
    },
    {
      step: 1,
      weight: 50,
      at: '2026-11-26T11:03:00.000Z',
      ok: false,
      canary: { requests: 600, errorRatePct: 4.2, p95Ms: 48 },
      stable: { requests: 610, errorRatePct: 0.2, p95Ms: 12 },
      reasons: ['error rate 4.2 % exceeds stable 0.2 % by more than 1 %'],
    },
  ],
};

/** A canary of 1.2.0 on green at its second step. */
export const canaryProgressing: EnvironmentsResponse = {
  ...blueActive,
  slots: [
    { ...blueActive.slots[0], trafficWeight: 50 },
    {
      ...blueActive.slots[1],
      version: '1.2.0',
      trafficWeight: 50,
      warmUntil: undefined,
    },
  ],
  canary,
};

/** What a rollback answers when the previous color was cold: a run redeploying it. */
export const redeployRun: DeploymentRun = {
  ...succeededRun,
  id: 'run-redeploy',
  kind: 'rollback',
  version: '1.0.0',
  strategy: 'blue-green',
  status: 'pending',
  startedAt: undefined,
  finishedAt: undefined,
  stages: [],
};
