/**
 * Contracts and extension points for Model Ops runtimes, metric sources and alert channels.
 *
 * @packageDocumentation
 */

export * from './runtime';
export * from './metrics';
export * from './channels';
export * from './types';
export * from './extensions';
