/** This package's version, from its package.json. */
import { readFileSync } from 'node:fs';
import { packageFile } from './shipped-files.js';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string })
    .version;
}
