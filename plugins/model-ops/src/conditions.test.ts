import { isModelOpsAvailable } from './conditions';
import { modelEntity, plainEntity } from './__testUtils__/fixtures';

describe('isModelOpsAvailable', () => {
  it('is true only for entities with the model id annotation', () => {
    expect(isModelOpsAvailable(modelEntity)).toBe(true);
    expect(isModelOpsAvailable(plainEntity)).toBe(false);
  });
});
