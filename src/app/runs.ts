// The RunRegistry port (app/ports.ts) on the run record files beside the vault.
import { liveRunRecords, writeRunRecord } from '../platform/run-records';
import type { Clock, RunRecord, RunRegistry } from './ports';

export function fileRunRegistry(vaultPath: string, clock: Clock): RunRegistry {
  return {
    begin: (run) => {
      const r = writeRunRecord(vaultPath, { ...run, since: clock.now().toISOString() });
      return { end: r.remove };
    },
    live: (): RunRecord[] => liveRunRecords(vaultPath).map(({ pid, program, since, entries }) => ({ pid, program, since, entries })),
  };
}
