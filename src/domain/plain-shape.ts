// Shape checks for values read back from a decrypted body: what every codec (entries, key
// facts, the document) asks of plain JSON before trusting it. Never echoes what it read.
import { CorruptError } from '../errors';

export const bad = () => new CorruptError('the vault body is not in the expected shape');

export const isString = (x: unknown): x is string => typeof x === 'string';
export const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every(isString);
