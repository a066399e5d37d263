/*
 * What `yarn test:install` does to the freshly scaffolded app, as snippets that must also appear,
 * word for word, in the README's "Installing into your own Backstage" section: the check fails
 * when the README and what it does drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CheckError } from './processes.mjs';

export const CREATE_APP = '@backstage/create-app@0.9.2';
export const README_SECTION = '### Installing into your own Backstage';

export const MODEL_ID = 'sentiment-classifier';
export const MODEL_ENTITY_FILE = 'examples/model-ops.yaml';

/** The install commands, run in the app's root. */
export const COMMANDS = {
  upgrade: { readme: "yarn up '@backstage/*'", args: ['up', '@backstage/*'] },
  addBackend: {
    readme:
      'yarn --cwd packages/backend add @model-ops/plugin-model-ops-backend',
    cwd: 'packages/backend',
    name: '@model-ops/plugin-model-ops-backend',
  },
  addFrontend: {
    readme: 'yarn --cwd packages/app add @model-ops/plugin-model-ops',
    cwd: 'packages/app',
    name: '@model-ops/plugin-model-ops',
  },
};

export const BACKEND_LINE =
  "backend.add(import('@model-ops/plugin-model-ops-backend'));";

export const APP_CONFIG = `modelOps:
  artifacts:
    index: node_modules/@model-ops/model-server/artifacts/index.json
    fileRoots:
      - node_modules/@model-ops/model-server/artifacts
`;

export const MODEL_ENTITY = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${MODEL_ID}
  description: Tells whether a product review is positive or negative.
  annotations:
    model-ops/model-id: ${MODEL_ID}
spec:
  type: model
  lifecycle: experimental
  owner: guests
`;

const LOCATION_ENTRY = `    - type: file
      target: ../../${MODEL_ENTITY_FILE}
`;

export const CATALOG_LOCATION = `catalog:
  locations:
${LOCATION_ENTRY}`;

/** The fenced code blocks of a markdown text, each without the fence's indentation. */
export function codeBlocks(markdown) {
  const blocks = [];
  let current;
  for (const line of markdown.split('\n')) {
    if (!current) {
      const open = line.match(/^(\s*)```/);
      if (open) current = { indent: open[1].length, lines: [] };
      continue;
    }
    if (/^\s*```\s*$/.test(line)) {
      blocks.push(`${current.lines.join('\n')}\n`);
      current = undefined;
      continue;
    }
    const leading = line.match(/^\s*/)[0].length;
    current.lines.push(line.slice(Math.min(leading, current.indent)));
  }
  return blocks;
}

/** The README section the check follows, from its heading to the next heading of level 1-3. */
export function readmeSection(readme) {
  const start = readme.indexOf(`\n${README_SECTION}\n`);
  if (start === -1) return undefined;
  const rest = readme.slice(start + 1);
  const next = rest.slice(README_SECTION.length).search(/\n#{1,3} /);
  return next === -1 ? rest : rest.slice(0, README_SECTION.length + next + 1);
}

/** Fails unless every snippet the check applies is in a code block of the README section. */
export function checkReadme(readmeFile) {
  const section = readmeSection(fs.readFileSync(readmeFile, 'utf8'));
  if (!section) {
    throw new CheckError(`${readmeFile} has no "${README_SECTION}" section`);
  }
  const blocks = codeBlocks(section);
  const wanted = {
    'the upgrade command': COMMANDS.upgrade.readme,
    'the backend add command': COMMANDS.addBackend.readme,
    'the frontend add command': COMMANDS.addFrontend.readme,
    'the backend line': BACKEND_LINE,
    'the modelOps configuration': APP_CONFIG,
    'the model entity': MODEL_ENTITY,
    'the catalog location': CATALOG_LOCATION,
  };
  const missing = Object.entries(wanted).filter(
    ([, snippet]) => !blocks.some(block => block.includes(snippet)),
  );
  if (missing.length > 0) {
    throw new CheckError(
      `the README's "${README_SECTION}" section no longer shows what the check does; missing from its code blocks:\n${missing
        .map(
          ([what, snippet]) =>
            `    - ${what}:\n${snippet.replace(/^/gm, '        ')}`,
        )
        .join('\n')}\n    (the snippets are in scripts/test-install/app.mjs)`,
    );
  }
  return Object.keys(wanted).length;
}

function edit(file, change) {
  const before = fs.readFileSync(file, 'utf8');
  const after = change(before);
  fs.writeFileSync(file, after);
}

/** Root `resolutions`: every @model-ops package from its tarball (they are not published yet). */
export function addResolutions(appDir, tarballs) {
  const file = path.join(appDir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  pkg.resolutions = { ...pkg.resolutions };
  for (const { name, tarball } of tarballs) {
    pkg.resolutions[name] = `file:${tarball}`;
  }
  fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** Step 3 of the README: the backend plugin, before `backend.start();`. */
export function wireBackend(appDir) {
  const file = path.join(appDir, 'packages/backend/src/index.ts');
  edit(file, text => {
    if (!text.includes('\nbackend.start();')) {
      throw new CheckError(
        `${file} has no "backend.start();" line to add the plugin before`,
      );
    }
    return text.replace(
      '\nbackend.start();',
      `\n${BACKEND_LINE}\n\nbackend.start();`,
    );
  });
}

/** Step 4: the template discovers frontend plugins; check it still does. */
export function checkFrontendDiscovery(appDir) {
  const config = fs.readFileSync(path.join(appDir, 'app-config.yaml'), 'utf8');
  if (!/^app:\n(?: {2}.*\n|\n)*? {2}packages: all$/m.test(config)) {
    throw new CheckError(
      'the scaffolded app-config.yaml has no `app.packages: all`: the frontend plugin would need wiring in packages/app/src/App.tsx',
    );
  }
  const app = JSON.parse(
    fs.readFileSync(path.join(appDir, 'packages/app/package.json'), 'utf8'),
  );
  if (!app.dependencies?.[COMMANDS.addFrontend.name]) {
    throw new CheckError(
      `packages/app/package.json does not depend on ${COMMANDS.addFrontend.name}`,
    );
  }
}

/** Steps 5 and 6: the configuration, the model's catalog file and its location. */
export function configureApp(appDir) {
  const configFile = path.join(appDir, 'app-config.yaml');
  edit(configFile, text => {
    if (/^modelOps:/m.test(text)) {
      throw new CheckError(`${configFile} has a modelOps section already`);
    }
    const catalog = text.search(/^catalog:$/m);
    const locations =
      catalog === -1 ? -1 : text.indexOf('\n  locations:\n', catalog);
    if (locations === -1) {
      throw new CheckError(`${configFile} has no catalog.locations list`);
    }
    const at = locations + '\n  locations:\n'.length;
    const withLocation = `${text.slice(0, at)}${LOCATION_ENTRY}${text.slice(
      at,
    )}`;
    return `${withLocation.trimEnd()}\n\n${APP_CONFIG}`;
  });
  fs.writeFileSync(path.join(appDir, MODEL_ENTITY_FILE), MODEL_ENTITY);
}

/**
 * The check's own configuration, not part of the README's steps: the backend serves the built
 * frontend on one free port (as `app-config.e2e.yaml` does for the repository's browser tests),
 * and metrics are collected every 5 seconds instead of every minute.
 */
export function writeCheckConfig(appDir, port) {
  const file = path.join(appDir, 'app-config.test-install.yaml');
  const baseUrl = `http://localhost:${port}`;
  fs.writeFileSync(
    file,
    `# Written by yarn test:install (scripts/test-install in the Model Ops repository).
app:
  baseUrl: ${baseUrl}
backend:
  baseUrl: ${baseUrl}
  listen:
    port: ${port}
    host: 127.0.0.1
  cors:
    origin: ${baseUrl}
    methods: [GET, HEAD, PATCH, POST, PUT, DELETE]
    credentials: true
modelOps:
  monitoring:
    schedule:
      frequency: { seconds: 5 }
      timeout: { minutes: 1 }
`,
  );
  return { file, baseUrl };
}
