// vault exec as a use case, in-process: the status is the runner's, the audit log gets the
// start before the run and the end after it, and the child gets only what was asked for.
import { execProgram, ExecCommand } from '../../../src/app/exec';
import { addEntry } from '../../../src/app/entries';
import { EXIT } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { RecordingRunner, testVault, TestVault } from './fakes';

let v: TestVault;
const OTHER_SECRET = 'OtherSecretZ3x8Qw7Lm2Np5Rt9Vb4Kc6Hj1Gf0Ds3Aa8Ee2Ii7Oo4Uu9Yy5Tt1Rr';

beforeAll(async () => {
  v = await testVault();
  const meta = { permissions: ['reading', 'spot'], ips: ['203.0.113.7'] };
  await addEntry(v.ctx, 'bot', 'binance', meta, { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });
  await addEntry(v.ctx, 'other', 'binance', meta, { apiKey: new Secret('OtherKey'.repeat(8)), apiSecret: new Secret(OTHER_SECRET) });
});
afterAll(() => {
  // Names only: neither the audit records nor the notices hold a value.
  expect(findCanary(JSON.stringify(v.audit.events) + v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});
beforeEach(() => {
  v.audit.events.length = 0;
  v.audit.failFrom = Infinity;
  v.notices.warnings.length = 0;
});

const command = (over: Partial<ExecCommand> = {}): ExecCommand => ({
  entries: ['bot'], map: {}, pristine: false, keep: [], allowWithdraw: false, override: false, argv: ['python', 'bot.py'], dryRun: false, wrapper: true, ...over,
});
const PARENT = { PATH: '/usr/bin:/bin', HOME: '/home/t', SHELL_THING: 'kept' };

it("returns the runner's status, whatever it is", async () => {
  for (const status of [0, 3, 42, 137]) {
    const r = await execProgram(v.ctx, command(), new RecordingRunner(status), PARENT);
    expect(r).toEqual({ dryRun: false, status, endRecorded: true });
  }
});

it('gives the child only the requested secrets, and names them for masking', async () => {
  const runner = new RecordingRunner(0);
  await execProgram(v.ctx, command(), runner, PARENT);
  const { program, env, secretVars } = runner.runs[0]!;
  expect(program).toEqual({ file: '/usr/bin/python', argv: ['python', 'bot.py'] });
  expect(env.BOT_API_KEY).toBe(CANARY.apiKey);
  expect(env.BOT_API_SECRET).toBe(CANARY.apiSecret);
  expect(Object.values(env)).not.toContain(OTHER_SECRET);
  expect(Object.keys(env).filter((k) => k.startsWith('OTHER_'))).toEqual([]);
  expect(env.SHELL_THING).toBe('kept');
  expect(secretVars.sort()).toEqual(['BOT_API_KEY', 'BOT_API_SECRET']);
  // With --pristine, the parent's other variables stay behind.
  const pristine = new RecordingRunner(0);
  await execProgram(v.ctx, command({ pristine: true }), pristine, PARENT);
  expect(pristine.runs[0]!.env.SHELL_THING).toBeUndefined();
  expect(pristine.runs[0]!.env.PATH).toBe(PARENT.PATH);
});

it('records the start (entries and fields, no values) before the run and the end with its status after', async () => {
  const runner = new RecordingRunner(7);
  const recordedBeforeRun: number[] = [];
  const run = runner.run.bind(runner);
  runner.run = async (...args) => {
    recordedBeforeRun.push(v.audit.events.length);
    return run(...args);
  };
  await execProgram(v.ctx, command(), runner, PARENT);
  expect(recordedBeforeRun).toEqual([1]);
  expect(v.audit.events).toEqual([
    { seq: 1, event: { cmd: 'exec', program: 'python', entries: [{ entry: 'bot', fields: ['apiKey', 'apiSecret'] }] } },
    { seq: 2, event: { cmd: 'exec-exit', program: 'python', ref: 1, result: 7 } },
  ]);
});

it('runs nothing when the start cannot be recorded', async () => {
  v.audit.failFrom = 1;
  const runner = new RecordingRunner(0);
  await expect(execProgram(v.ctx, command(), runner, PARENT)).rejects.toMatchObject({ code: 'audit', exitCode: EXIT.failure });
  expect(runner.runs).toEqual([]);
});

it("keeps the program's status when its end cannot be recorded, and says so", async () => {
  v.audit.failFrom = 2;
  const r = await execProgram(v.ctx, command(), new RecordingRunner(5), PARENT);
  expect(r).toEqual({ dryRun: false, status: 5, endRecorded: false });
  expect(v.notices.warnings).toEqual([expect.stringMatching(/^the end of the program \(exit status 5\) was not recorded in the audit log: /)]);
});

it('a program not found is 127, with nothing recorded; a nested exec and no program are refused', async () => {
  const runner = new RecordingRunner(0);
  runner.missing.add('pyhton');
  await expect(execProgram(v.ctx, command({ argv: ['pyhton'] }), runner, PARENT)).rejects.toMatchObject({ exitCode: EXIT.commandNotFound, message: 'command not found: pyhton' });
  await expect(execProgram(v.ctx, command(), runner, { ...PARENT, EXVAULT_EXEC: '1' })).rejects.toMatchObject({ exitCode: EXIT.usage });
  await expect(execProgram(v.ctx, command({ argv: [] }), runner, PARENT)).rejects.toMatchObject({ exitCode: EXIT.usage, message: 'no program to run' });
  expect(runner.runs).toEqual([]);
  expect(v.audit.events).toEqual([]);
});

it('a dry run lists variable names and sources, records nothing and runs nothing', async () => {
  const runner = new RecordingRunner(0);
  const r = await execProgram(v.ctx, command({ dryRun: true, argv: [] }), runner, PARENT);
  expect(r).toEqual({ dryRun: true, status: 0, rows: expect.arrayContaining([{ name: 'BOT_API_KEY', source: 'bot.apiKey' }, { name: 'BOT_API_SECRET', source: 'bot.apiSecret' }]) });
  expect(runner.runs).toEqual([]);
  expect(v.audit.events).toEqual([]);
});
