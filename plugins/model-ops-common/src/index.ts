/**
 * Types, annotations, spec parsing and permissions shared by the Model Ops plugins.
 *
 * The API types and the `DefaultApiClient` are generated from the backend's OpenAPI spec
 * (plugins/model-ops-backend/src/schema/openapi.yaml); the rest is written by hand.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './spec';
export * from './permissions';
export * from './rules';
export * from './api';
export * from './deployments';
export * from './generated';
