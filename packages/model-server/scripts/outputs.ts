/**
 * What train.ts writes, besides the artifacts themselves: the copy of one demo artifact that ships
 * inside the package (so an installed server has something to serve), and the check or write of
 * every output file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface Output {
  path: string;
  content: string;
}

export interface IndexEntry {
  version: string;
  uri: string;
  sha256: string;
  summary: string;
}

/** The demo artifact the package ships: the smallest version, good enough to deploy. */
export const SHIPPED = { modelId: 'sentiment-classifier', version: '1.0.0' };

/**
 * Where an app finds the shipped artifacts: relative `file:` URIs resolve against the app's root
 * (modelOps.artifacts.fileRoot), and package managers install the package there.
 */
const INSTALLED_DIR = 'node_modules/@model-ops/model-server/artifacts';

/**
 * The package's `artifacts/` folder: the shipped version's files, byte for byte the same as in
 * examples/models, and an `index.json` listing it with a URI that works once installed.
 */
export function shippedArtifactOutputs(options: {
  outputs: Output[];
  entry: IndexEntry;
  modelsDir: string;
  packageDir: string;
}): Output[] {
  const { outputs, entry, modelsDir, packageDir } = options;
  const source = join(modelsDir, SHIPPED.modelId, SHIPPED.version);
  const target = join(
    packageDir,
    'artifacts',
    SHIPPED.modelId,
    SHIPPED.version,
  );
  const copies = outputs
    .filter(o => dirname(o.path) === source)
    .map(o => ({
      path: join(target, relative(source, o.path)),
      content: o.content,
    }));
  const index = {
    models: {
      [SHIPPED.modelId]: [
        {
          ...entry,
          uri: `file:${INSTALLED_DIR}/${SHIPPED.modelId}/${SHIPPED.version}`,
        },
      ],
    },
  };
  return [
    ...copies,
    {
      path: join(packageDir, 'artifacts', 'index.json'),
      content: `${formatJson(index)}\n`,
    },
  ];
}

/** JSON as the artifacts hold it: two-space indent, arrays of scalars on one line. */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every(v => v === null || typeof v !== 'object'))
      return JSON.stringify(value);
    const inner = `${indent}  `;
    return `[\n${value
      .map(v => inner + formatJson(v, inner))
      .join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = `${indent}  `;
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`)
      .join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** Files on disk whose content differs from what training produced. */
export function staleOutputs(outputs: Output[]): Output[] {
  return outputs.filter(o => {
    try {
      return readFileSync(o.path, 'utf8') !== o.content;
    } catch {
      return true;
    }
  });
}

export function writeOutputs(outputs: Output[]): void {
  for (const o of outputs) {
    mkdirSync(dirname(o.path), { recursive: true });
    writeFileSync(o.path, o.content);
  }
}
