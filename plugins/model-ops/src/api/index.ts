export { modelOpsApiRef } from './ModelOpsApi';
export type { ModelOpsApi } from './ModelOpsApi';
export { ModelOpsClient } from './ModelOpsClient';
