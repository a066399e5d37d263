import { screen } from '@testing-library/react';
import { ResponseError } from '@backstage/errors';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import {
  badModel,
  deployedModel,
  undeployedModel,
} from '../../__testUtils__/fixtures';
import { DeploymentsContent } from './DeploymentsContent';

describe('DeploymentsContent', () => {
  it('says the model is not deployed yet and shows its declared spec', async () => {
    const getModel = jest.fn().mockResolvedValue(undeployedModel);
    await renderModelTab(<DeploymentsContent />, { getModel });

    expect(
      await screen.findByText('No version in production yet'),
    ).toBeInTheDocument();
    expect(getModel).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'sentiment-classifier',
    });
    expect(screen.getByText('Declared model')).toBeInTheDocument();
    expect(screen.getAllByText('sentiment-classifier').length).toBeGreaterThan(
      0,
    );
    expect(screen.getByText('blue-green')).toBeInTheDocument();
    expect(
      screen.getByText('No slot has run a version of this model yet.'),
    ).toBeInTheDocument();
  });

  it('shows the production version, the slots and the versions', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(deployedModel),
    });

    expect(await screen.findByText('Production')).toBeInTheDocument();
    expect(screen.getAllByText('1.1.0').length).toBeGreaterThanOrEqual(2);
    expect(
      screen.getAllByText('http://127.0.0.1:41002').length,
    ).toBeGreaterThan(0);
    expect(screen.getByText('100 %')).toBeInTheDocument();
    expect(screen.getByText('retired')).toBeInTheDocument();
    expect(
      screen.getByText('file:///models/sentiment-classifier/1.0.0'),
    ).toBeInTheDocument();
  });

  it('lists every bad annotation with what is allowed', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(badModel),
    });

    const problems = await screen.findByTestId('model-spec-problems');
    expect(problems).toHaveTextContent('model-ops/strategy');
    expect(problems).toHaveTextContent('"big-bang"');
    expect(problems).toHaveTextContent('allowed: blue-green, canary, recreate');
    // The declared card shows the bad value, not the default the backend fell back to.
    expect(screen.getByText('big-bang (invalid)')).toBeInTheDocument();
  });

  it('shows the backend error when the model cannot be loaded', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'NotFoundError',
          message: 'No entity component:default/x',
        },
        response: { statusCode: 404 },
      }),
      {
        status: 404,
        statusText: 'Not Found',
        headers: { 'content-type': 'application/json' },
      },
    );
    const error = await ResponseError.fromResponse(response);
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockRejectedValue(error),
    });

    expect(
      (await screen.findAllByText(/No entity component:default\/x/)).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByText('Declared model')).not.toBeInTheDocument();
  });
});
