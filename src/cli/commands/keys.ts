import { Option, type Command } from 'commander';
import { KEY_SCOPES } from '../../core/contracts/keys.js';
import { validateKeyName, validateScopes } from '../../core/keys/api-keys.js';
import type { KeyJson } from '../../server/wire/keys.js';
import { note, print, printJson } from '../output.js';
import { addTargetOptions, withClient, type TargetOptions } from '../target.js';

interface KeyOptions extends TargetOptions {
  json?: boolean;
}

function formatKey(key: KeyJson): string {
  const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`;
  return [key.id, key.name, key.scopes.join(','), `created ${key.createdAt}`, state].join('  ');
}

/** `--scope read --scope publish` and `--scope read,publish` alike. */
function collectScopes(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((scope) => scope.trim())];
}

export function keysCommand(program: Command): void {
  const command = program
    .command('keys')
    .description('API keys for the HTTP API: create, list, revoke')
    .addHelpText(
      'after',
      `
Scopes: admin (everything), publish, consume, read. Once a key exists the
server needs one on every route but /v1/health; with none it answers only on
loopback. Send a key with --api-key or MILLRACE_API_KEY.
With no command it lists: millrace keys [--json] is keys list.
`,
    );

  const create = command
    .command('create')
    .description('make a key and print it; it is shown this once and stored only hashed')
    .requiredOption('--name <name>', 'what the key is for, as listings show it')
    .addOption(
      new Option('--scope <scopes>', `one or more of ${KEY_SCOPES.join(', ')}`)
        .argParser(collectScopes)
        .makeOptionMandatory(),
    )
    .option('--json', 'print JSON, the key included');
  addTargetOptions(create).action(
    async (options: KeyOptions & { name: string; scope: string[] }) => {
      // Checked before anything opens: a typo costs no database start.
      const name = validateKeyName(options.name);
      const scopes = validateScopes(options.scope);
      await withClient(options, async (client) => {
        const created = await client.createKey({ name, scopes });
        if (options.json) return printJson(created);
        print(created.key);
        note(
          `key ${created.id} (${created.name}, ${created.scopes.join(', ')}): shown once, keep it now; send it as Authorization: Bearer <key>, or --api-key`,
        );
      });
    },
  );

  const list = command
    .command('list', { isDefault: true })
    .description('every key, revoked ones included; never their secrets')
    .option('--json', 'print JSON: { keys: [...] }');
  addTargetOptions(list).action(async (options: KeyOptions) => {
    await withClient(options, async (client) => {
      const keys = await client.listKeys();
      if (options.json) return printJson({ keys });
      if (keys.length === 0)
        note('no API keys: the server answers only on loopback, to anyone there');
      keys.forEach((key) => print(formatKey(key)));
    });
  });

  const revoke = command
    .command('revoke')
    .description('refuse a key from now on, on every server (within a second)')
    .argument('<id>', 'the key id, as keys list shows it')
    .option('--json', 'print JSON');
  addTargetOptions(revoke).action(async (id: string, options: KeyOptions) => {
    await withClient(options, async (client) => {
      await client.revokeKey(id);
      if (options.json) printJson({ revoked: id });
      else print(`revoked ${id}`);
    });
  });
}
