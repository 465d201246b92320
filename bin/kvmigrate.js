#!/usr/bin/env node
// The command line, from the compiled bundle (npm run build; `npm ci` and `npm pack` run it).
import { main } from '../build/cli/kvmigrate.js';

process.exitCode = await main(process.argv.slice(2));
