// Runs in every test file: everything the test process writes to stdout or stderr is kept
// and, after the file's tests, checked for canary secrets.
import { findCanary } from './canary';

const captured: string[] = [];
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1'));
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
}

afterAll(() => {
  expect(findCanary(captured.join(''))).toBeNull();
});
