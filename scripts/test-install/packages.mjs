/*
 * The publishable packages of the repository (every workspace that is not private), built and
 * packed the way they are published (`yarn pack` runs `backstage-cli package prepack`, which
 * points the entry points at dist/, and rewrites `workspace:` ranges to real versions), and the
 * checks on each tarball: what its package.json points at is in it, and no range is local.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CheckError } from './processes.mjs';

/** Every workspace of the repository that is published: `{ name, version, dir }`. */
export function publishablePackages(root, yarn) {
  const output = execFileSync(
    process.execPath,
    [yarn, 'workspaces', 'list', '--json'],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  return output
    .trim()
    .split('\n')
    .map(line => JSON.parse(line))
    .filter(ws => ws.location !== '.')
    .map(ws => {
      const dir = path.join(root, ws.location);
      const pkg = JSON.parse(
        fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
      );
      return { name: pkg.name, version: pkg.version, dir, pkg };
    })
    .filter(({ pkg }) => pkg.private !== true)
    .map(({ pkg, ...rest }) => rest);
}

/** The tarball's file name: `@model-ops/plugin-model-ops` 0.1.0 -> `model-ops-plugin-model-ops-0.1.0.tgz`. */
export function tarballName({ name, version }) {
  return `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`;
}

/**
 * `yarn pack` rewrites package.json in place between prepack and postpack. When it is stopped
 * in between, this puts the original back, so a failed or interrupted check never leaves a
 * changed package.json (or prepack's leftovers) in the working tree.
 */
export class PackGuard {
  #saved = new Map();

  save(dir) {
    const file = path.join(dir, 'package.json');
    this.#saved.set(dir, {
      content: fs.readFileSync(file),
      hadSchema: fs.existsSync(path.join(dir, 'config.schema.json')),
    });
  }

  /** Restores what prepack changed if postpack did not; returns the files it repaired. */
  restore(dir) {
    const saved = this.#saved.get(dir);
    if (!saved) return [];
    const repaired = [];
    const backup = path.join(dir, 'package.json-prepack');
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(backup)) {
      fs.writeFileSync(file, saved.content);
      fs.rmSync(backup, { force: true });
      repaired.push(file);
      const schema = path.join(dir, 'config.schema.json');
      if (!saved.hadSchema && fs.existsSync(schema)) {
        fs.rmSync(schema, { force: true });
        repaired.push(schema);
      }
    }
    this.#saved.delete(dir);
    return repaired;
  }

  restoreAll() {
    return [...this.#saved.keys()].flatMap(dir => this.restore(dir));
  }
}

function tarList(tarball) {
  return execFileSync('tar', ['-tzf', tarball], {
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\n')
    .filter(Boolean)
    .map(entry => entry.replace(/^package\//, ''));
}

function tarManifest(tarball) {
  return JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], {
      encoding: 'utf8',
      timeout: 30_000,
    }),
  );
}

/** Every path a manifest points at: entry points, exports, types, bins, the config schema. */
function referencedPaths(manifest) {
  const paths = [];
  const add = (field, value) => {
    if (typeof value === 'string') paths.push({ field, value });
  };
  for (const field of ['main', 'module', 'types', 'typings', 'configSchema'])
    add(field, manifest[field]);
  if (typeof manifest.bin === 'string') add('bin', manifest.bin);
  for (const [name, value] of Object.entries(manifest.bin ?? {}))
    add(`bin.${name}`, value);
  const walk = (field, value, isPath) => {
    if (typeof value === 'string') {
      if (isPath(value)) add(field, value);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(`${field}[${i}]`, v, isPath));
    } else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value))
        walk(`${field}[${JSON.stringify(key)}]`, v, isPath);
    }
  };
  // Export targets are paths starting with "./"; other strings there are conditions' markers
  // such as Backstage's `"backstage": "@backstage/FrontendPlugin"`.
  walk('exports', manifest.exports, value => value.startsWith('./'));
  walk('typesVersions', manifest.typesVersions, () => true);
  return paths.filter(({ value }) => !value.includes('*'));
}

/**
 * Checks a packed tarball as a user would receive it; throws a CheckError listing every
 * problem. Returns `{ files, manifest }`.
 */
export function verifyTarball(tarball, pkg, packedVersions) {
  const files = tarList(tarball);
  const fileSet = new Set(files);
  const manifest = tarManifest(tarball);
  const problems = [];

  for (const { field, value } of referencedPaths(manifest)) {
    const normalized = path.posix.normalize(value).replace(/^\.\//, '');
    const found =
      fileSet.has(normalized) ||
      files.some(file => file.startsWith(`${normalized.replace(/\/$/, '')}/`));
    if (!found)
      problems.push(
        `package.json ${field} is "${value}", which is not in the package`,
      );
  }

  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
  ]) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|portal|file):/.test(range)) {
        problems.push(
          `${field}.${name} is "${range}", which only resolves in this repository`,
        );
        continue;
      }
      const packed = packedVersions.get(name);
      if (packed && range.replace(/^[\^~]/, '') !== packed) {
        problems.push(
          `${field}.${name} is "${range}", but the repository's ${name} is ${packed}`,
        );
      }
    }
  }

  const sources = files.filter(
    file =>
      /^src\//.test(file) &&
      /\.(ts|tsx)$/.test(file) &&
      !file.endsWith('.d.ts'),
  );
  if (sources.length > 0) {
    problems.push(
      `the package contains TypeScript sources (${sources
        .slice(0, 3)
        .join(', ')}${
        sources.length > 3 ? ', ...' : ''
      }); only dist/ should be published`,
    );
  }

  if (manifest.name !== pkg.name || manifest.version !== pkg.version) {
    problems.push(
      `the tarball says ${manifest.name}@${manifest.version}, expected ${pkg.name}@${pkg.version}`,
    );
  }

  if (problems.length > 0) {
    throw new CheckError(
      `${pkg.name}: ${problems.length} problem(s) in ${path.basename(
        tarball,
      )}:\n${problems.map(p => `    - ${p}`).join('\n')}`,
    );
  }
  return { files, manifest };
}
