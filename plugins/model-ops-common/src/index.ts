/**
 * Types, annotations, spec parsing and permissions shared by the Model Ops plugins.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './spec';
export * from './permissions';
export * from './rules';
export * from './api';
export * from './deployments';
export * from './environments';
export * from './monitoring';
