import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import {
  deployedModel,
  failedRun,
  rolledBackRun,
  runningRun,
  succeededRun,
  undeployedModel,
} from '../../__testUtils__/fixtures';
import { LIVE_POLL_MS } from '../../hooks/useDeployments';
import { DeploymentsContent } from './DeploymentsContent';

describe('DeploymentsContent runs', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('offers Deploy on an empty history', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(undeployedModel),
    });
    expect(
      await screen.findByText('No run yet: deploy a version to start one.'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Deploy' })).toBeEnabled(),
    );
    expect(screen.getByRole('button', { name: 'Rollback' })).toBeDisabled();
  });

  it('shows a failed run with its failing case and figures', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(deployedModel),
      listDeployments: jest.fn().mockResolvedValue({ items: [failedRun] }),
    });
    const testing = await screen.findByTestId('stage-testing');
    expect(testing).toHaveTextContent(
      'expected "positive", got "negative" for input "I love it"',
    );
    expect(testing).toHaveTextContent('cases failed: 10');
    expect(
      screen.getAllByText('10 of 12 functional cases failed').length,
    ).toBeGreaterThan(0);
    expect(screen.getAllByText('Failed').length).toBeGreaterThan(0);
    expect(screen.getAllByText('Skipped')).toHaveLength(2);
  });

  it('shows a rolled back run and offers rollback to versions that succeeded', async () => {
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(deployedModel),
      listDeployments: jest
        .fn()
        .mockResolvedValue({ items: [rolledBackRun, succeededRun] }),
    });
    expect((await screen.findAllByText('Rolled back')).length).toBeGreaterThan(
      0,
    );
    const production = screen.getByTestId('stage-production');
    expect(production).toHaveTextContent('1.1.0 serves production again');
    expect(screen.getByTestId('stage-testing')).toHaveTextContent(
      'p95: 2.4 ms',
    );
    expect(screen.getByTestId('stage-testing')).toHaveTextContent(
      'throughput: 812.5 req/s',
    );

    // 1.0.0 succeeded earlier and is not in production: it can be rolled back to.
    fireEvent.click(screen.getByRole('button', { name: 'Rollback' }));
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText('Roll back production?'),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Roll back to 1.0.0' }),
    ).toBeEnabled();
  });

  it('polls while a run is active and stops when it ends', async () => {
    jest.useFakeTimers();
    const listDeployments = jest
      .fn()
      .mockResolvedValueOnce({ items: [runningRun] })
      .mockResolvedValueOnce({ items: [runningRun] })
      .mockResolvedValue({
        items: [{ ...runningRun, status: 'succeeded', stage: undefined }],
      });
    const getModel = jest.fn().mockResolvedValue(deployedModel);
    await renderModelTab(<DeploymentsContent />, { getModel, listDeployments });

    expect((await screen.findAllByText('Running')).length).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: 'Deploy' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Cancel run' })).toBeEnabled();

    await act(async () => {
      jest.advanceTimersByTime(LIVE_POLL_MS);
    });
    await act(async () => {
      jest.advanceTimersByTime(LIVE_POLL_MS);
    });
    await waitFor(() => expect(listDeployments).toHaveBeenCalledTimes(3));
    expect((await screen.findAllByText('Succeeded')).length).toBeGreaterThan(0);
    // The run ended: the model is fetched again, and polling stops.
    await waitFor(() => expect(getModel).toHaveBeenCalledTimes(2));
    await act(async () => {
      jest.advanceTimersByTime(LIVE_POLL_MS * 3);
    });
    expect(listDeployments).toHaveBeenCalledTimes(3);
  });

  it('disables the actions without permission', async () => {
    // Permission answers are cached per resource, so this test uses a model of its own.
    await renderModelTab(
      <DeploymentsContent />,
      {
        getModel: jest.fn().mockResolvedValue({
          ...deployedModel,
          entityRef: 'component:default/locked-model',
        }),
        listDeployments: jest.fn().mockResolvedValue({ items: [succeededRun] }),
      },
      { deny: true },
    );
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Deploy' })).toBeDisabled(),
    );
    expect(screen.getByRole('button', { name: 'Rollback' })).toBeDisabled();
  });

  it('starts a deployment from an offered version', async () => {
    const createDeployment = jest.fn().mockResolvedValue(runningRun);
    await renderModelTab(<DeploymentsContent />, {
      getModel: jest.fn().mockResolvedValue(deployedModel),
      listArtifacts: jest.fn().mockResolvedValue({
        items: [
          {
            version: '1.1.0',
            uri: 'file:examples/models/sentiment-classifier/1.1.0',
            sha256: 'b'.repeat(64),
            summary: 'unigrams and bigrams',
          },
        ],
      }),
      createDeployment,
    });
    const deploy = await screen.findByRole('button', { name: 'Deploy' });
    await waitFor(() => expect(deploy).toBeEnabled());
    fireEvent.click(deploy);
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByTestId('offered-version'), {
      target: { value: '1.1.0' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Deploy' }));
    await waitFor(() =>
      expect(createDeployment).toHaveBeenCalledWith({
        entityRef: 'component:default/sentiment-classifier',
        version: '1.1.0',
        artifact: {
          uri: 'file:examples/models/sentiment-classifier/1.1.0',
          sha256: 'b'.repeat(64),
        },
      }),
    );
  });
});
