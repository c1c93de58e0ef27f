#!/usr/bin/env node
'use strict';
// Starts the bundled CLI (dist/cli.js). Compiling the bundle is a measurable part of every
// `vault exec`, so V8's code cache for it is kept in the user's cache folder: bytecode of
// this file only, no data. It is used only when that folder and file are the user's own and
// private, and V8 itself rejects a cache that does not match the source.
const fs = require('fs');
const os = require('os');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

const file = path.join(__dirname, '..', 'dist', 'cli.js');

function cachePath(st) {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'exvault', `cli-${process.version}-${st.size}-${Math.floor(st.mtimeMs)}.v8`);
}

function privateOwn(p) {
  try {
    const st = fs.statSync(p);
    return (st.mode & 0o077) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid());
  } catch {
    return false;
  }
}

function run() {
  const st = fs.statSync(file);
  const source = fs.readFileSync(file, 'utf8');
  const cache = cachePath(st);
  let cachedData;
  if (privateOwn(path.dirname(cache)) && privateOwn(cache)) {
    try {
      cachedData = fs.readFileSync(cache);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // Written after the run, so functions compiled along the way are in it too.
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
        const tmp = `${cache}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cache);
      } catch {
        // A cache is an optimisation; never a reason to fail.
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
}

if (process.env.EXVAULT_NO_CODE_CACHE) require(file);
else run();
