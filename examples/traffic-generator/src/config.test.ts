import { DEFAULTS, parseConfig, UsageError } from './config.ts';

const noFile = () => {
  throw new Error('ENOENT');
};

describe('parseConfig', () => {
  it('reads targets and applies the defaults', () => {
    const config = parseConfig(
      [
        '--target',
        'sentiment-classifier=http://127.0.0.1:7101/',
        '--target',
        'churn-predictor=http://localhost:7103',
        '--burst',
        'churn-predictor',
      ],
      noFile,
    );
    expect(config).toEqual({
      targets: [
        {
          name: 'sentiment-classifier',
          url: 'http://127.0.0.1:7101',
          weight: 1,
        },
        { name: 'churn-predictor', url: 'http://localhost:7103', weight: 1 },
      ],
      baseRps: 4,
      durationSeconds: 3600,
      dayMinutes: 20,
      startHour: 8,
      noise: DEFAULTS.noise,
      seed: 1,
      longShare: DEFAULTS.longShare,
      burst: {
        target: 'churn-predictor',
        everyMinutes: 4,
        seconds: 90,
        share: 0.3,
        offsetSeconds: 30,
      },
      summarySeconds: 30,
      timeoutMs: 2000,
      dataDir: undefined,
    });
  });

  it('reads a config file and lets the command line override it', () => {
    const file = JSON.stringify({
      targets: {
        'fraud-detector': 'http://127.0.0.1:7102',
        'churn-predictor': { url: 'http://127.0.0.1:7103', weight: 0.5 },
      },
      baseRps: 2,
      durationSeconds: 600,
      burst: { target: 'fraud-detector', share: 0.5, everyMinutes: 2 },
    });
    const config = parseConfig(
      ['--config', 'traffic.json', '--base-rps', '6', '--burst-seconds', '30'],
      path => {
        expect(path).toBe('traffic.json');
        return file;
      },
    );
    expect(config).toMatchObject({
      targets: [
        { name: 'fraud-detector', url: 'http://127.0.0.1:7102', weight: 1 },
        { name: 'churn-predictor', url: 'http://127.0.0.1:7103', weight: 0.5 },
      ],
      baseRps: 6,
      durationSeconds: 600,
      burst: {
        target: 'fraud-detector',
        share: 0.5,
        everyMinutes: 2,
        seconds: 30,
        offsetSeconds: 30,
      },
    });
  });

  it('returns help for --help', () => {
    expect(parseConfig(['--help'], noFile)).toBe('help');
  });

  it.each([
    [[], /at least one --target/],
    [['--target', 'a'], /<model>=<url>/],
    [['--target', 'a=http://10.1.2.3:80'], /not a loopback address/],
    [['--target', 'a=https://127.0.0.1:80'], /only http/],
    [
      ['--target', 'a=http://127.0.0.1:1', '--target', 'a=http://127.0.0.1:2'],
      /given twice/,
    ],
    [
      ['--target', 'a=http://127.0.0.1:1', '--burst', 'b'],
      /not one of the targets/,
    ],
    [
      ['--target', 'a=http://127.0.0.1:1', '--base-rps', 'fast'],
      /--base-rps must be a number/,
    ],
    [['--target', 'a=http://127.0.0.1:1', '--duration', '0'], /--duration/],
    [
      [
        '--target',
        'a=http://127.0.0.1:1',
        '--burst',
        'a',
        '--burst-share',
        '2',
      ],
      /--burst-share/,
    ],
    [
      [
        '--target',
        'a=http://127.0.0.1:1',
        '--burst',
        'a',
        '--burst-seconds',
        '300',
      ],
      /must not exceed/,
    ],
    [['--target', 'a=http://127.0.0.1:1', '--bogus'], /Unknown option/],
    [['--config', 'missing.json'], /cannot read --config/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv as string[], noFile)).toThrow(UsageError);
    expect(() => parseConfig(argv as string[], noFile)).toThrow(message);
  });

  it('refuses unknown config keys', () => {
    expect(() =>
      parseConfig(['--config', 'x.json'], () => '{"rps": 3}'),
    ).toThrow(/unknown key rps/);
  });
});
