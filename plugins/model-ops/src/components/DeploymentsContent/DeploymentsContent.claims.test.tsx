import { screen, waitFor } from '@testing-library/react';
import { ModelDetails } from '@model-ops/plugin-model-ops-common';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { undeployedModel } from '../../__testUtils__/fixtures';
import { DeploymentsContent } from './DeploymentsContent';

/** Two entities declare one model id: the owner is warned and works, the rival is blocked. */
const owner: ModelDetails = {
  ...undeployedModel,
  problems: [
    {
      annotation: 'model-ops/model-id',
      value: 'sentiment-classifier',
      severity: 'warning',
      message:
        'model id sentiment-classifier is also declared by component:default/my-innocent-model, which may not act on it: this entity declared it first and owns it',
    },
  ],
};
const rival: ModelDetails = {
  ...undeployedModel,
  entityRef: 'component:default/my-innocent-model',
  name: 'my-innocent-model',
  problems: [
    {
      annotation: 'model-ops/model-id',
      value: 'sentiment-classifier',
      message:
        'model id sentiment-classifier is already declared by component:default/sentiment-classifier',
    },
  ],
};

describe('DeploymentsContent with a model id two entities declare', () => {
  it('warns the owner and still offers Deploy', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(owner),
    });
    const warnings = await screen.findByTestId('model-spec-warnings');
    expect(warnings).toHaveTextContent(
      'This model has a warning; it still works',
    );
    expect(warnings).toHaveTextContent(
      'is also declared by component:default/my-innocent-model',
    );
    expect(screen.queryByTestId('model-spec-problems')).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Deploy' })).toBeEnabled(),
    );
  });

  it('names the owner on the rival and blocks Deploy', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(rival),
    });
    const problems = await screen.findByTestId('model-spec-problems');
    expect(problems).toHaveTextContent(
      'model id sentiment-classifier is already declared by component:default/sentiment-classifier',
    );
    expect(screen.queryByTestId('model-spec-warnings')).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Deploy' })).toBeDisabled(),
    );
  });
});
