// What rotate, check and show print about the bots holding an old key: a program name or a
// time from a run record (any same-user process can write one) never reaches the terminal raw.
import { holdersText } from '../../../src/cli/overlap-view';
import type { PendingRevoke } from '../../../src/app/rotate';

it('control characters in a holder\'s program and time are escaped, not printed', () => {
  const p = { heldBy: [{ pid: 42, program: './zz\u001b[2J\nvault: fine', since: '2026-12-02\u0007' }] } as unknown as PendingRevoke;
  const text = holdersText(p);
  expect(text).toBe('held by pid 42 (./zz?[2J?vault: fine, since 2026-12-02?)');
  expect(text).not.toMatch(/[\u0000-\u001f]/);
});
