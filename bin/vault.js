#!/usr/bin/env node
'use strict';
// The whole CLI lives in the bundle; this shim only starts it.
require('../dist/cli.js');
