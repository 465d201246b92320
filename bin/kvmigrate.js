#!/usr/bin/env node
// The command line, from the compiled bundle (npm run build; `npm ci` and `npm pack` run it).
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code of the bundle between runs (in the OS temp folder unless
// NODE_COMPILE_CACHE names another; NODE_DISABLE_COMPILE_CACHE=1 turns it off), as tsc does: about a tenth of a
// start. Node 20 has no such cache. It must be on before the bundle loads, hence the dynamic import.
module.enableCompileCache?.();
const { main } = await import('../build/cli/kvmigrate.js');

process.exitCode = await main(process.argv.slice(2));
