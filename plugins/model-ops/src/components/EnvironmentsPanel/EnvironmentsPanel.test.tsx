import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { ModelOpsApi } from '../../api';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import {
  WARM_UNTIL,
  blueActive,
  canaryProgressing,
  envModel,
  greenCold,
  greenEmpty,
  redeployRun,
  switched,
  switching,
  switchInProgress,
} from './__testUtils__/fixtures';
import { EnvironmentsPanel } from './EnvironmentsPanel';
import {
  ENVIRONMENTS_IDLE_POLL_MS,
  ENVIRONMENTS_LIVE_POLL_MS,
} from './useEnvironments';

const entity = {
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
};

async function render(
  api: Partial<ModelOpsApi>,
  options: { model?: typeof envModel; deny?: boolean } = {},
) {
  const refreshModel = jest.fn();
  const result = await renderModelTab(
    <EnvironmentsPanel
      model={options.model ?? envModel}
      refreshModel={refreshModel}
    />,
    api,
    { deny: options.deny },
  );
  return { refreshModel, result };
}

const section = (name: string) => screen.getByRole('region', { name });

async function enabledButton(name: string) {
  const button = await screen.findByRole('button', { name });
  await waitFor(() => expect(button).toBeEnabled());
  return button;
}

describe('EnvironmentsPanel', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('shows blue active at 100 % and green idle and warm', async () => {
    const getEnvironments = jest.fn().mockResolvedValue(blueActive);
    await render({ getEnvironments });
    await screen.findByText('Environments');
    expect(getEnvironments).toHaveBeenCalledWith(entity);

    const blue = section('Blue');
    expect(within(blue).getByText('Active')).toBeInTheDocument();
    expect(within(blue).getByText('1.1.0')).toBeInTheDocument();
    expect(within(blue).getByText('100 %')).toBeInTheDocument();
    expect(
      within(blue).getByRole('progressbar', { name: 'Blue traffic weight' }),
    ).toHaveAttribute('aria-valuenow', '100');
    expect(within(blue).getByText('Healthy')).toBeInTheDocument();
    expect(
      within(blue).getByText('http://127.0.0.1:41001'),
    ).toBeInTheDocument();
    expect(within(blue).queryByText(/Warm until/)).not.toBeInTheDocument();

    const green = section('Green');
    expect(within(green).queryByText('Active')).not.toBeInTheDocument();
    expect(within(green).getByText('Idle')).toBeInTheDocument();
    expect(within(green).getByText('1.0.0')).toBeInTheDocument();
    expect(within(green).getByText('0 %')).toBeInTheDocument();
    expect(
      within(green).getByText(
        `Warm until ${new Date(WARM_UNTIL).toLocaleString()}`,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Production endpoint: http://127.0.0.1:41000'),
    ).toBeInTheDocument();

    await enabledButton('Switch to green');
    await enabledButton('Rollback switch');
    expect(screen.queryByText(/^Canary/)).not.toBeInTheDocument();
  });

  it('switches after confirmation and refreshes', async () => {
    const getEnvironments = jest
      .fn()
      .mockResolvedValueOnce(blueActive)
      .mockResolvedValue(switched);
    const switchEnvironment = jest.fn().mockResolvedValue(switchInProgress);
    const { refreshModel } = await render({
      getEnvironments,
      switchEnvironment,
    });

    fireEvent.click(await enabledButton('Switch to green'));
    const dialog = await screen.findByRole('dialog', {
      name: 'Switch production to Green?',
    });
    expect(dialog).toHaveTextContent(
      'All production traffic moves from Blue (1.1.0) to Green (1.0.0).',
    );
    fireEvent.change(within(dialog).getByLabelText('Reason (optional)'), {
      target: { value: 'back to 1.0.0' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Switch to green' }),
    );

    await waitFor(() =>
      expect(switchEnvironment).toHaveBeenCalledWith(entity, {
        to: 'green',
        reason: 'back to 1.0.0',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    await waitFor(() => expect(getEnvironments).toHaveBeenCalledTimes(2));
    expect(refreshModel).toHaveBeenCalled();
    await waitFor(() =>
      expect(within(section('Green')).getByText('Active')).toBeInTheDocument(),
    );
    expect(
      await screen.findByRole('button', { name: 'Switch to blue' }),
    ).toBeInTheDocument();
  });

  it('shows the error a switch fails with and keeps the dialog open', async () => {
    const switchEnvironment = jest
      .fn()
      .mockRejectedValue(new Error('green is not healthy: 503 from /health'));
    const { refreshModel } = await render({
      getEnvironments: jest.fn().mockResolvedValue(blueActive),
      switchEnvironment,
    });
    fireEvent.click(await enabledButton('Switch to green'));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Switch to green' }),
    );
    expect(
      await within(dialog).findByText('green is not healthy: 503 from /health'),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    expect(refreshModel).not.toHaveBeenCalled();
  });

  it('disables the switch when the idle color is empty', async () => {
    await render({ getEnvironments: jest.fn().mockResolvedValue(greenEmpty) });
    await screen.findByText('Environments');
    expect(
      within(section('Green')).getByTestId('green-version'),
    ).toHaveTextContent('empty');
    const button = await screen.findByRole('button', {
      name: 'Switch to green',
    });
    // Permission allowed, yet the button stays disabled: green runs nothing.
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Rollback switch' }),
      ).toBeDisabled(),
    );
    expect(button).toBeDisabled();
    expect(screen.getByText(/No switch yet/)).toBeInTheDocument();
  });

  it('rolls a switch back to the warm color', async () => {
    const rollbackSwitch = jest
      .fn()
      .mockResolvedValue({ ...switchInProgress, kind: 'rollback-switch' });
    const getEnvironments = jest.fn().mockResolvedValue(blueActive);
    const { refreshModel } = await render({ getEnvironments, rollbackSwitch });

    fireEvent.click(await enabledButton('Rollback switch'));
    const dialog = await screen.findByRole('dialog', {
      name: 'Roll back the last switch?',
    });
    expect(dialog).toHaveTextContent(
      'returns production traffic to the previous color if it is still warm; otherwise the previous version is redeployed through the pipeline',
    );
    expect(dialog).toHaveTextContent('Green still runs 1.0.0');
    expect(dialog).toHaveTextContent('traffic moves back to it at once');
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back switch' }),
    );

    await waitFor(() =>
      expect(rollbackSwitch).toHaveBeenCalledWith(entity, undefined),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(refreshModel).toHaveBeenCalled();
    await waitFor(() => expect(getEnvironments).toHaveBeenCalledTimes(2));
  });

  it('explains and reports a rollback that redeploys a cold color', async () => {
    const rollbackSwitch = jest.fn().mockResolvedValue(redeployRun);
    await render({
      getEnvironments: jest.fn().mockResolvedValue(greenCold),
      rollbackSwitch,
    });
    expect(
      within(await screen.findByRole('region', { name: 'Green' })).getByText(
        'Absent',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Warm until/)).not.toBeInTheDocument();

    fireEvent.click(await enabledButton('Rollback switch'));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Green is no longer warm, so 1.0.0 will be redeployed through the pipeline',
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back switch' }),
    );
    expect(
      await screen.findByText(
        /1\.0\.0 is being redeployed through the pipeline as run run-redeploy/,
      ),
    ).toBeInTheDocument();
  });

  it('disables switching without permission', async () => {
    // Permission answers are cached per resource, so this test uses a model of its own.
    await render(
      { getEnvironments: jest.fn().mockResolvedValue(canaryProgressing) },
      {
        model: {
          ...envModel,
          entityRef: 'component:default/locked-environments',
        },
        deny: true,
      },
    );
    expect(
      await screen.findByText("You may not switch this model's traffic."),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Switch to green' }),
    ).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Rollback switch' }),
    ).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Promote' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Abort' })).toBeDisabled();
  });

  it('shows a canary at step 2 of 3 and its analyses', async () => {
    await render({
      getEnvironments: jest.fn().mockResolvedValue(canaryProgressing),
    });
    expect(await screen.findByText('Canary 1.2.0')).toBeInTheDocument();
    expect(screen.getByTestId('canary-position')).toHaveTextContent(
      'Step 2 of 3 · 50 % of traffic on the canary',
    );
    expect(screen.getByText('Progressing')).toBeInTheDocument();
    const steps = screen.getByLabelText('Canary steps');
    expect(steps).toHaveTextContent('10 %');
    expect(steps).toHaveTextContent('50 %');
    expect(steps).toHaveTextContent('100 %');

    const table = screen.getByRole('table', { name: 'Canary analyses' });
    const breach = within(table).getByTestId('canary-analysis-1');
    expect(breach).toHaveTextContent('4.2 % vs 0.2 %');
    expect(breach).toHaveTextContent('48 ms vs 12 ms');
    expect(breach).toHaveTextContent('breach');
    expect(breach).toHaveTextContent(
      'error rate 4.2 % exceeds stable 0.2 % by more than 1 %',
    );
    expect(within(table).getByTestId('canary-analysis-0')).toHaveTextContent(
      'ok',
    );

    // Traffic is moving: no manual switch meanwhile.
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Promote' })).toBeEnabled(),
    );
    expect(
      screen.getByRole('button', { name: 'Switch to green' }),
    ).toBeDisabled();
  });

  it('promotes and aborts a canary after confirmation', async () => {
    const promoteCanary = jest.fn().mockResolvedValue(redeployRun);
    const abortCanary = jest
      .fn()
      .mockRejectedValue(new Error('run-canary already ended'));
    await render({
      getEnvironments: jest.fn().mockResolvedValue(canaryProgressing),
      promoteCanary,
      abortCanary,
    });
    fireEvent.click(await enabledButton('Promote'));
    let dialog = await screen.findByRole('dialog', {
      name: 'Promote canary 1.2.0?',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Promote' }));
    await waitFor(() =>
      expect(promoteCanary).toHaveBeenCalledWith('run-canary'),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    fireEvent.click(await enabledButton('Abort'));
    dialog = await screen.findByRole('dialog', { name: 'Abort canary 1.2.0?' });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Abort canary' }),
    );
    await waitFor(() => expect(abortCanary).toHaveBeenCalledWith('run-canary'));
    expect(
      await within(dialog).findByText('run-canary already ended'),
    ).toBeInTheDocument();
  });

  it('lists the switch history newest first with its checks', async () => {
    await render({ getEnvironments: jest.fn().mockResolvedValue(blueActive) });
    const table = await screen.findByRole('table', { name: 'Switch history' });
    const rows = within(table).getAllByTestId(/^switch-sw-\d$/);
    expect(rows.map(r => r.getAttribute('data-testid'))).toEqual([
      'switch-sw-2',
      'switch-sw-1',
    ]);

    expect(rows[0]).toHaveTextContent('Deployment');
    expect(rows[0]).toHaveTextContent('Green (1.0.0) → Blue (1.1.0)');
    expect(rows[0]).toHaveTextContent('user:default/alice');
    expect(rows[0]).toHaveTextContent('release 1.1.0');
    expect(rows[0]).toHaveTextContent('Succeeded');
    expect(rows[0]).toHaveTextContent('3.0 s');
    expect(rows[0]).toHaveTextContent('2 of 2 passed');

    expect(rows[1]).toHaveTextContent('Switch');
    expect(rows[1]).toHaveTextContent('Blue (0.9.0) → Green (1.0.0)');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('30.0 s');
    expect(rows[1]).toHaveTextContent(
      'green did not become healthy within 30 s',
    );
    expect(rows[1]).toHaveTextContent('0 of 1 passed');

    const expand = within(rows[1]).getByRole('button', {
      name: 'Show checks of switch sw-1',
    });
    expect(expand).toHaveAttribute('aria-expanded', 'false');
    fireEvent.click(expand);
    expect(await screen.findByTestId('switch-sw-1-checks')).toHaveTextContent(
      'health: failed — green answered 503',
    );
    expect(
      within(rows[1]).getByRole('button', {
        name: 'Hide checks of switch sw-1',
      }),
    ).toHaveAttribute('aria-expanded', 'true');
  });

  it('polls quickly while a switch is in progress and slows down after it succeeds', async () => {
    jest.useFakeTimers();
    const getEnvironments = jest
      .fn()
      .mockResolvedValueOnce(switching)
      .mockResolvedValueOnce(switching)
      .mockResolvedValue(switched);
    const { refreshModel } = await render({ getEnvironments });

    expect(
      await screen.findByText(/Switching traffic from Blue to Green/),
    ).toBeInTheDocument();
    expect(screen.getAllByText('In progress').length).toBeGreaterThan(0);
    expect(
      screen.getByRole('button', { name: 'Switch to green' }),
    ).toBeDisabled();

    await act(async () => {
      jest.advanceTimersByTime(ENVIRONMENTS_LIVE_POLL_MS);
    });
    await act(async () => {
      jest.advanceTimersByTime(ENVIRONMENTS_LIVE_POLL_MS);
    });
    await waitFor(() => expect(getEnvironments).toHaveBeenCalledTimes(3));
    await waitFor(() =>
      expect(screen.queryByText(/Switching traffic/)).not.toBeInTheDocument(),
    );
    expect(within(section('Green')).getByText('Active')).toBeInTheDocument();
    // The switch ended: the model is fetched again, and the fast polling stops.
    expect(refreshModel).toHaveBeenCalledTimes(1);
    await act(async () => {
      jest.advanceTimersByTime(ENVIRONMENTS_LIVE_POLL_MS * 3);
    });
    expect(getEnvironments).toHaveBeenCalledTimes(3);
    await act(async () => {
      jest.advanceTimersByTime(ENVIRONMENTS_IDLE_POLL_MS);
    });
    await waitFor(() => expect(getEnvironments).toHaveBeenCalledTimes(4));
  });

  it('stops polling on unmount', async () => {
    jest.useFakeTimers();
    const getEnvironments = jest.fn().mockResolvedValue(switching);
    const { result } = await render({ getEnvironments });
    await screen.findByText(/Switching traffic/);
    result.unmount();
    await act(async () => {
      jest.advanceTimersByTime(ENVIRONMENTS_IDLE_POLL_MS * 2);
    });
    expect(getEnvironments).toHaveBeenCalledTimes(1);
  });

  it('shows why the environments could not load', async () => {
    await render({
      getEnvironments: jest
        .fn()
        .mockRejectedValue(new Error('backend unreachable')),
    });
    expect(
      (await screen.findAllByText(/backend unreachable/)).length,
    ).toBeGreaterThan(0);
  });
});
