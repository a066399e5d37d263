import { screen } from '@testing-library/react';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel } from '../../__testUtils__/fixtures';
import { CapacityContent } from './CapacityContent';

describe('CapacityContent', () => {
  it('shows the cost model and the running slots', async () => {
    await renderModelTab(<CapacityContent />, {
      getModel: jest.fn().mockResolvedValue({
        ...deployedModel,
        spec: { ...deployedModel.spec!, costModel: 'gpu-small' },
      }),
    });
    // Once in the declared spec, once in the capacity card.
    expect(await screen.findAllByText('gpu-small')).toHaveLength(2);
    expect(screen.getByText('2')).toBeInTheDocument();
  });
});
