import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeFile, packageFile } from '../../src/shipped-files.js';
import { packageVersion } from '../../src/version.js';

describe('files shipped beside the code', () => {
  it('are found from the code directory by name: src/ when run from source', () => {
    expect(codeFile('index.ts')).toBe(
      fileURLToPath(new URL('../../src/index.ts', import.meta.url)),
    );
    expect(existsSync(codeFile('index.ts'))).toBe(true);
  });

  it("read the package's own package.json for its version", () => {
    const path = packageFile('package.json');
    expect(path).toBe(fileURLToPath(new URL('../../package.json', import.meta.url)));
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name: string; version: string };
    expect(manifest.name).toBe('millrace');
    expect(packageVersion()).toBe(manifest.version);
  });
});
