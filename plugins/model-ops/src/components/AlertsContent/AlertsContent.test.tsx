import { screen } from '@testing-library/react';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel, undeployedModel } from '../../__testUtils__/fixtures';
import { AlertsContent } from './AlertsContent';

describe('AlertsContent', () => {
  it('says no metrics were collected while the status is unknown', async () => {
    await renderModelTab(<AlertsContent />, {
      getModel: jest.fn().mockResolvedValue(undeployedModel),
    });
    expect(await screen.findByText('Unknown')).toBeInTheDocument();
    expect(
      screen.getByText(/No metrics have been collected for this model yet/),
    ).toBeInTheDocument();
    expect(screen.getByText('not reported')).toBeInTheDocument();
  });

  it('shows the stored status', async () => {
    await renderModelTab(<AlertsContent />, {
      getModel: jest.fn().mockResolvedValue(deployedModel),
    });
    expect(await screen.findByText('Healthy')).toBeInTheDocument();
    expect(
      screen.queryByText(/No metrics have been collected/),
    ).not.toBeInTheDocument();
  });
});
