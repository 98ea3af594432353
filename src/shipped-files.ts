/**
 * Files that ship beside the code (package.json, the prepared PGlite image),
 * found from the directory the code runs from: dist/ when built, src/ from
 * source. It is found by name rather than by a relative path, because the
 * command's bundle (dist/cli.js) sits at another depth than the modules it
 * was made from.
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE_ROOTS = new Set(['dist', 'src']);

function codeRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!CODE_ROOTS.has(basename(directory))) {
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(
        `millrace: ${fileURLToPath(import.meta.url)} is not under a dist/ or src/ directory`,
      );
    }
    directory = parent;
  }
  return directory;
}

/** A file in the code's own directory (dist/ or src/). */
export function codeFile(name: string): string {
  return join(codeRoot(), name);
}

/** A file at the package's root, beside package.json. */
export function packageFile(name: string): string {
  return join(dirname(codeRoot()), name);
}
