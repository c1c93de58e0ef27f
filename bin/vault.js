#!/usr/bin/env -S node --
'use strict';
// "node --": Node.js reads `--env-file FILE` (and applies its NODE_OPTIONS) from anywhere in
// its arguments, vault's own included, before any of this runs (nodejs/node#54232); after
// "--" it does not. So a mistyped `vault exec --env-file F` cannot run code in this process.
// First, before anything else runs: a SIGUSR1 listener. Without one, Node answers SIGUSR1 by
// opening its inspector on 127.0.0.1:9229 for the rest of the run, and any local user could
// connect and read the passphrase and secrets from the heap or run code here. A passphrase
// unlock takes seconds, long before `vault exec` installs its own handlers. Node 20 has no
// --disable-sigusr1 (22.14+). A SIGUSR1 that arrives before `vault exec` starts the program is
// dropped: the program is not there yet, and delivering it as the program starts would most
// likely kill it (the default action) before it could set up a handler. `vault exec` forwards
// every later one (src/platform/child.ts adds its own listener).
process.on('SIGUSR1', () => undefined);
// Starts the bundled CLI: dist/exec.js for `vault exec` (it starts every bot, and holds only
// what exec needs), dist/cli.js for every other command. Compiling the bundle is a measurable
// part of every `vault exec`, so V8's code cache for each ships with the package
// (dist/cli.js.cache, dist/exec.js.cache), written by the build (scripts/build-code-cache.mjs)
// next to the bundle. V8 checks a cache against
// the source's length only, so a cache decides what code runs: it is read only from the
// package itself, never from a folder the user (or anyone else) can write at run time, and
// nothing here ever writes one.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

/** Global options that take a value: the word after one is not a command name (cli/run.ts). */
const GLOBAL_WITH_VALUE = new Set(['--vault', '--passphrase-file', '--passphrase-fd']);

/** The command word of argv (global options and their values skipped; none after "--"). */
function commandWord(argv) {
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (GLOBAL_WITH_VALUE.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return undefined;
}

/** The bundle for a command line. */
function bundleFor(argv) {
  return path.join(__dirname, '..', 'dist', commandWord(argv) === 'exec' ? 'exec.js' : 'cli.js');
}

const file = bundleFor(process.argv.slice(2));
const cacheFile = `${file}.cache`;

/** The bundle compiled as a CommonJS module, with the given code cache (if any). */
function compile(cachedData, bundle = file) {
  // The build makes the bundle pure ASCII (and checks it): Latin-1 then reads it exactly, as a
  // plain copy, where UTF-8 decoding cost about 5M instructions (2%) of every `vault exec`.
  const source = fs.readFileSync(bundle, 'latin1');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  return new vm.Script(wrapped, { filename: bundle, cachedData });
}

function start(script, bundle = file) {
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
}

function packagedCache(bundle = file) {
  try {
    return fs.readFileSync(`${bundle}.cache`);
  } catch {
    return undefined; // A cache is an optimisation; a package without one still runs.
  }
}

if (require.main === module) {
  if (process.env.EXVAULT_NO_CODE_CACHE) require(file);
  else start(compile(packagedCache()));
} else {
  module.exports = { compile, start, packagedCache, bundleFor, file, cacheFile };
}
