// Loads dist/netctl.cjs (everything netctl runs, in one CommonJS file) as require() would, but through
// vm.Script with V8's code cache that `npm run build` writes beside it: V8 then deserialises the
// compiled functions instead of parsing and compiling 3 MB of JavaScript at every start. A cache from
// another Node (or V8 flags) is rejected by V8 and the code compiled as usual.
'use strict';
const {readFileSync, statSync} = require('node:fs');
const {dirname, join} = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

const BUNDLE = join(__dirname, '..', 'dist', 'netctl.cjs');
const CODE_CACHE = `${BUNDLE}.v8cache`;

/**
 * The code cache, unless the bundle was written after it: V8 checks a cache against the length of the
 * source only, so a bundle changed in place (same length) would run the old code.
 */
function readCodeCache() {
  try {
    if (statSync(CODE_CACHE).mtimeMs < statSync(BUNDLE).mtimeMs) return undefined;
    return readFileSync(CODE_CACHE);
  } catch {
    return undefined;
  }
}

/** Evaluates the bundle once per process, registered under its path so that oclif's require of it finds it loaded. */
function loadBundle({codeCache = readCodeCache()} = {}) {
  const cached = Module._cache[BUNDLE];
  if (cached !== undefined) return {exports: cached.exports};
  const script = new vm.Script(Module.wrap(readFileSync(BUNDLE, 'utf8')), {filename: BUNDLE, cachedData: codeCache});
  const bundle = new Module(BUNDLE, module);
  bundle.filename = BUNDLE;
  bundle.paths = Module._nodeModulePaths(dirname(BUNDLE));
  Module._cache[BUNDLE] = bundle;
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(BUNDLE), bundle, BUNDLE, dirname(BUNDLE));
  bundle.loaded = true;
  return {exports: bundle.exports, script};
}

module.exports = {BUNDLE, CODE_CACHE, loadBundle};
