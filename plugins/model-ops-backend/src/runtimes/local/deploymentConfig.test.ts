import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  LOCAL_DEPLOYMENT_CONFIG_SCHEMA,
  parseDeploymentConfig,
} from './deploymentConfig';

describe('parseDeploymentConfig', () => {
  it('accepts no config, an empty one and every allowed property', () => {
    expect(parseDeploymentConfig(undefined)).toEqual({ env: {} });
    expect(parseDeploymentConfig({})).toEqual({ env: {} });
    expect(
      parseDeploymentConfig({
        env: { LOG_LEVEL: 'debug', _X1: '' },
        startupTimeoutSeconds: 600,
      }),
    ).toEqual({
      env: { LOG_LEVEL: 'debug', _X1: '' },
      startupTimeoutSeconds: 600,
    });
  });

  it.each([
    [[], 'expected an object'],
    [{ replicas: 2 }, 'unknown property "replicas"'],
    [{ env: 'A=1' }, 'env must be an object of strings'],
    [{ env: ['A'] }, 'env must be an object of strings'],
    [{ env: { A: 1 } }, 'env.A must be a string'],
    [{ env: { '1A': 'x' } }, 'environment variable 1A is not allowed'],
    [{ startupTimeoutSeconds: 0 }, 'startupTimeoutSeconds'],
    [{ startupTimeoutSeconds: 601 }, 'startupTimeoutSeconds'],
    [{ startupTimeoutSeconds: '30' }, 'startupTimeoutSeconds'],
  ])('rejects %j', (config, message) => {
    // What a caller that skipped the schema check may send.
    const unchecked = config as unknown as JsonObject;
    expect(() => parseDeploymentConfig(unchecked)).toThrow(InputError);
    expect(() => parseDeploymentConfig(unchecked)).toThrow(message);
  });

  it.each([
    'NODE_OPTIONS',
    'NODE_PATH',
    'LD_PRELOAD',
    'DYLD_INSERT_LIBRARIES',
    'MODEL_OPS_SLOT',
  ])('keeps the deployment from setting %s', name => {
    expect(() => parseDeploymentConfig({ env: { [name]: 'x' } })).toThrow(
      `environment variable ${name} is not allowed`,
    );
  });

  it('publishes the same rule for environment names in its schema', () => {
    const schema = LOCAL_DEPLOYMENT_CONFIG_SCHEMA as unknown as {
      properties: { env: { propertyNames: { pattern: string } } };
    };
    const pattern = new RegExp(schema.properties.env.propertyNames.pattern);
    expect(pattern.test('LOG_LEVEL')).toBe(true);
    expect(pattern.test('NODE_OPTIONS')).toBe(false);
    expect(pattern.test('NODE_OPTIONS_EXTRA')).toBe(true);
  });
});
