// Capabilities meet only through each other's index.ts (their service interfaces and
// factories), and nothing imports in a cycle. Tests, benchmarks and their utilities may reach
// inside.
const CAPABILITIES = [
  'models',
  'deployments',
  'environments',
  'monitoring',
  'capacity',
  'sources',
  'runtimes/local',
  'runtimes/kubernetes',
];

function zone(capability) {
  const parts = capability.split('/');
  // Everything in src/ that is outside the capability's own folder.
  const target = ['./src/*.ts'];
  let prefix = './src';
  for (const part of parts) {
    target.push(`${prefix}/!(${part})/**/*`);
    prefix = `${prefix}/${part}`;
  }
  if (parts.length > 1)
    target.push(`./src/${parts.slice(0, -1).join('/')}/*.ts`);
  return {
    target,
    from: `./src/${capability}`,
    except: ['./index.ts'],
    message: `Import ${capability} through its index.ts only (its service interface and factory).`,
  };
}

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // The import rules must resolve TypeScript files to follow relative imports at all.
  settings: {
    'import/resolver': {
      node: { extensions: ['.ts', '.tsx', '.js', '.json'] },
    },
  },
  rules: {
    'import/no-cycle': ['error', { ignoreExternal: true }],
  },
  overrides: [
    {
      files: ['src/**/*.ts'],
      excludedFiles: [
        '**/*.test.ts',
        '**/__testUtils__/**',
        '**/__fixtures__/**',
        '**/*.bench.ts',
        '**/__benchUtils__/**',
      ],
      rules: {
        'import/no-restricted-paths': [
          'error',
          { basePath: __dirname, zones: CAPABILITIES.map(zone) },
        ],
      },
    },
  ],
});
