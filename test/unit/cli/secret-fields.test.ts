import { parseSecretJson } from '../../../src/cli/secret-fields';
import { CANARY } from '../../helpers/canary';

describe('parseSecretJson', () => {
  const json = JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
  it('accepts a file that starts with a UTF-8 byte order mark (Notepad), without it in any value', () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]).toString('utf8');
    const f = parseSecretJson(text, 'keys.json');
    expect(f.apiKey!.reveal()).toBe(CANARY.apiKey);
    expect(f.apiSecret!.reveal()).toBe(CANARY.apiSecret);
  });
  it.each([
    ['apiKey twice', `{"apiKey": "a", "apiSecret": "b", "apiKey": "c"}`, 'apiKey'],
    ['a key written twice with an escape', `{"apiKey": "a", "api\\u004bey": "c"}`, 'apiKey'],
    ['twice around nested values', `{"x": {"apiKey": 1}, "apiSecret": "b", "y": ["apiKey", {"p": "apiKey"}], "apiSecret": "\\"apiSecret\\": "}`, 'apiSecret'],
  ])('refuses a duplicate key (%s): JSON.parse would keep the last one silently', (_what, text, field) => {
    expect(() => parseSecretJson(text, 'keys.json')).toThrow(`field ${field} is given twice in keys.json`);
  });
  it('does not take a nested key, or a value that looks like a key, for a duplicate', () => {
    const f = parseSecretJson(`{"apiKey": "a:b", "apiSecret": "\\"apiKey\\": 1", "passphrase": "{\\"apiKey\\":2}"}`, 'keys.json');
    expect(Object.keys(f)).toEqual(['apiKey', 'apiSecret', 'passphrase']);
  });
});
