'use strict';
// The config compiler (build/cli/config-loader.cjs: kvmigrate's config loader with the YAML parsers and schema
// validators bundled), loaded when a MigrationSet is made, so that loading `kvmigrate` loads cdk8s and constructs
// alone. A CommonJS file because it finds the bundle from its own place (__dirname) alike in the ES module build, the
// CommonJS build (scripts/build.ts copies it into both) and the sources.
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

let loader;

exports.configLoader = function configLoader() {
  for (let dir = __dirname; loader === undefined; dir = dirname(dir)) {
    const bundle = join(dir, 'build', 'cli', 'config-loader.cjs');
    if (existsSync(bundle)) loader = require(bundle);
    else if (dirname(dir) === dir) throw new Error('kvmigrate: build/cli/config-loader.cjs is missing (npm run build makes it)');
  }
  return loader;
};
