import fs from 'node:fs';
import path from 'node:path';

/** The Alertmanager binary: `$ALERTMANAGER_BIN`, else Debian's or one on PATH. */
export function findAlertmanager(): string | undefined {
  const candidates = [
    process.env.ALERTMANAGER_BIN,
    '/usr/bin/prometheus-alertmanager',
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .flatMap(dir => [
        path.join(dir, 'prometheus-alertmanager'),
        path.join(dir, 'alertmanager'),
      ]),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}
