import { parseDeploymentConfig } from './deploymentConfig';

describe('parseDeploymentConfig', () => {
  it('accepts the documented settings only', () => {
    expect(
      parseDeploymentConfig({
        replicas: 2,
        resources: { limits: { cpu: '1', memory: '512Mi' } },
        env: { A: 'b' },
      }),
    ).toEqual({
      replicas: 2,
      resources: { limits: { cpu: '1', memory: '512Mi' } },
      env: { A: 'b' },
    });
    expect(() =>
      parseDeploymentConfig({ resources: { limits: { gpu: '1' } } }),
    ).toThrow(/resources.limits.gpu is not allowed/);
    expect(() =>
      parseDeploymentConfig({ resources: { requests: { cpu: 'lots' } } }),
    ).toThrow(/must be a quantity/);
    expect(() => parseDeploymentConfig({ env: { MODEL_OPS_X: '1' } })).toThrow(
      /MODEL_OPS_X is not allowed/,
    );
    expect(() => parseDeploymentConfig({ startupTimeoutSeconds: 3 })).toThrow(
      /unknown property "startupTimeoutSeconds"/,
    );
  });
});
