// Entry point of the hook bundle (`npm run build:hook`): `node kvmigrate-hook.js send ...` is `kvmigrate hook send ...`.
import { processStreams } from './output.ts';
import { runHookCommand } from './hook-command.ts';

const code = await runHookCommand(process.argv.slice(2), processStreams);
// Exit now: a request abandoned on timeout may still hold a socket open.
process.exit(code);
