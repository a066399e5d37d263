import { mockServices } from '@backstage/backend-test-utils';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRouter } from '../service/router';
import { spec } from './openapi/generated/router';

const packageDir = path.resolve(__dirname, '../..');
const script = path.join(packageDir, 'scripts/generate-openapi.mjs');
const yamlPath = path.join(packageDir, 'src/schema/openapi.yaml');
const generatedPath = path.join(
  packageDir,
  'src/schema/openapi/generated/router.ts',
);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** `/entities/:kind/:name` as OpenAPI writes it: `/entities/{kind}/{name}`. */
const toOpenApiPath = (expressPath: string) =>
  expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

async function registeredRoutes(): Promise<string[]> {
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
  } as unknown as Parameters<typeof createRouter>[0]);
  const routes: string[] = [];
  for (const layer of (router as any).stack as any[]) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) {
      routes.push(`${method.toUpperCase()} ${toOpenApiPath(layer.route.path)}`);
    }
  }
  return routes;
}

function specRoutes(): string[] {
  const routes: string[] = [];
  for (const [route, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      if (method in item) routes.push(`${method.toUpperCase()} ${route}`);
    }
  }
  return routes;
}

describe('the OpenAPI spec', () => {
  it('is what scripts/generate-openapi.mjs renders from openapi.yaml', () => {
    const rendered = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { readFileSync } from 'node:fs';
         import { render } from ${JSON.stringify(pathToFileURL(script).href)};
         process.stdout.write(render(readFileSync(${JSON.stringify(
           yamlPath,
         )}, 'utf8')));`,
      ],
      { encoding: 'utf8' },
    );
    expect(rendered).toContain('export const spec = ');
    expect(rendered).toBe(fs.readFileSync(generatedPath, 'utf8'));
  });

  it('passes the generator’s --check', () => {
    const result = spawnSync(process.execPath, [script, '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('documents every route the router registers, and no other', async () => {
    const registered = await registeredRoutes();
    expect(registered).toEqual(
      expect.arrayContaining([
        'GET /models',
        'GET /entities/{kind}/{namespace}/{name}',
      ]),
    );
    const documented = specRoutes();
    // The validated router serves its own spec; that route is not part of the API.
    const apiRoutes = registered.filter(r => !r.endsWith('/openapi.json'));
    expect(apiRoutes.length).toBeGreaterThan(0);
    expect([...apiRoutes].sort()).toEqual([...documented].sort());
  });

  it('declares the path parameters of every route', () => {
    const resolve = (p: any) =>
      p.$ref
        ? (spec.components.parameters as Record<string, any>)[
            p.$ref.split('/').pop()
          ]
        : p;
    for (const [route, item] of Object.entries(spec.paths)) {
      const inPath = [...route.matchAll(/\{([^}]+)\}/g)].map(m => m[1]).sort();
      for (const method of METHODS) {
        const operation = (item as Record<string, any>)[method];
        if (!operation) continue;
        const declared = [
          ...((item as any).parameters ?? []),
          ...(operation.parameters ?? []),
        ]
          .map(resolve)
          .filter(p => p.in === 'path')
          .map(p => p.name)
          .sort();
        expect({ route, method, params: declared }).toEqual({
          route,
          method,
          params: inPath,
        });
        expect(operation.operationId).toEqual(expect.any(String));
        expect(operation.responses['401']).toBeDefined();
      }
    }
  });
});
