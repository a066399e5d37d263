/**
 * The Model Ops backend plugin: pipelines, environments, monitoring, alerts and capacity for AI
 * models declared in the catalog.
 *
 * @packageDocumentation
 */

export { modelOpsPlugin as default } from './plugin';
