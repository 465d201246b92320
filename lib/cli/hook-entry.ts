// Entry point of the hook bundle (`npm run build:hook`): `node kvmigrate-hook.mjs send ...` is `kvmigrate hook send ...`.
import { runCommand } from './command.ts';
import { hookCommand } from './hook-command.ts';
import { processStreams } from './output.ts';
import { USAGE } from './usage.ts';

const code = await runCommand({ ...USAGE.hook, run: hookCommand }, process.argv.slice(2), processStreams);
// Exit now: a request abandoned on timeout may still hold a socket open.
process.exit(code);
