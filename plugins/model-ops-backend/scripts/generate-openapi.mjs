#!/usr/bin/env node
// Turns src/schema/openapi.yaml into src/schema/openapi/generated/router.ts: the spec as a typed
// constant and a validated router built from it (the shape `backstage-repo-tools package schema
// openapi generate --server` produces). Run with --check to fail when the file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const yamlPath = resolve(here, '../src/schema/openapi.yaml');
const outPath = resolve(here, '../src/schema/openapi/generated/router.ts');

export function render(yamlText) {
  const spec = YAML.parse(yamlText);
  return `// This file is generated from src/schema/openapi.yaml by scripts/generate-openapi.mjs.
// Do not edit it by hand: edit the YAML and run \`yarn workspace @model-ops/plugin-model-ops-backend generate:openapi\`.
/* eslint-disable */
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';

export const spec = ${JSON.stringify(spec, null, 2)} as const;

export const createOpenApiRouter = async (
  options?: Parameters<typeof createValidatedOpenApiRouter>['1'],
) => createValidatedOpenApiRouter<typeof spec>(spec, options);
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = render(readFileSync(yamlPath, 'utf8'));
  if (process.argv.includes('--check')) {
    if (readFileSync(outPath, 'utf8') !== text) {
      console.error(`${outPath} is out of date; run generate:openapi`);
      process.exit(1);
    }
  } else {
    writeFileSync(outPath, text);
  }
}
