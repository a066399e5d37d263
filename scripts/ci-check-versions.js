#!/usr/bin/env node
/*
 * Fails when yarn.lock resolves any @backstage/* package to more than one version.
 *
 * Two copies of a Backstage package (say two @backstage/core-plugin-api versions) break shared
 * singletons such as API refs and React contexts in subtle ways, so CI refuses them. Fix a
 * duplicate by bumping the dependents (`yarn backstage-cli versions:bump`), `yarn dedupe`, or a
 * `resolutions` entry in the root package.json.
 *
 * Usage: node scripts/ci-check-versions.js [path/to/yarn.lock] [--scope @backstage/]
 * Plain CommonJS without dependencies: runs on any Node.js from 20 up.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** The package name of a lockfile descriptor such as `"@backstage/foo@npm:^1.0.0"`. */
function descriptorName(descriptor) {
  const text = descriptor.trim().replace(/^"|"$/g, '');
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0);
  return at === -1 ? text : text.slice(0, at);
}

/**
 * Reads a yarn.lock (berry format, and the classic v1 format too) into a map from package name
 * to the set of versions it resolves to.
 */
function lockfileVersions(text) {
  const versions = new Map();
  let names = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      // A block header: one or more comma-separated descriptors, ending with a colon.
      names = line.endsWith(':')
        ? [...new Set(line.slice(0, -1).split(',').map(descriptorName))]
        : [];
      continue;
    }
    // `  version: 1.2.3` (berry) or `  version "1.2.3"` (classic), directly inside the block.
    const match = /^ {2}version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (!match || names.length === 0) continue;
    for (const name of names) {
      if (name === '__metadata') continue;
      if (!versions.has(name)) versions.set(name, new Set());
      versions.get(name).add(match[1]);
    }
  }
  return versions;
}

function main(argv) {
  let lockPath = path.resolve(__dirname, '..', 'yarn.lock');
  let scope = '@backstage/';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--scope') scope = argv[++i];
    else lockPath = path.resolve(argv[i]);
  }
  if (!fs.existsSync(lockPath)) {
    console.error(`ci-check-versions: ${lockPath} does not exist`);
    return 1;
  }
  const all = lockfileVersions(fs.readFileSync(lockPath, 'utf8'));
  const scoped = [...all].filter(([name]) => name.startsWith(scope));
  if (scoped.length === 0) {
    console.error(
      `ci-check-versions: no ${scope}* packages found in ${lockPath}; is it a yarn.lock?`,
    );
    return 1;
  }
  const shown = path.relative(process.cwd(), lockPath);
  const lockName = shown && !shown.startsWith('..') ? shown : lockPath;
  const duplicates = scoped
    .filter(([, set]) => set.size > 1)
    .sort(([a], [b]) => a.localeCompare(b));
  if (duplicates.length > 0) {
    console.error(
      `ci-check-versions: ${duplicates.length} ${scope}* package(s) resolve to more than one version in ${lockName}:`,
    );
    for (const [name, set] of duplicates) {
      console.error(`  ${name}: ${[...set].sort().join(', ')}`);
    }
    console.error(
      'Align them (yarn backstage-cli versions:bump, yarn dedupe, or a "resolutions" entry) so each resolves once.',
    );
    return 1;
  }
  console.log(
    `ci-check-versions: ok, ${scoped.length} ${scope}* packages, one version each`,
  );
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}

module.exports = { lockfileVersions, descriptorName };
