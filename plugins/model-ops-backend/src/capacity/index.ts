/**
 * The capacity capability. For now it holds the cost model arithmetic that monitoring's cost
 * per request is measured with; usage, projections and recommendations come with the capacity
 * issue.
 */
export { costPerRequest, createCostPerRequest } from './costs';
export type { CostModel } from './costs';
