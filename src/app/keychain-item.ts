// Where a vault's keychain key is kept: service "exvault", account "<vault id>.<item id>"
// (the keychain slot type defines it).
export { keychainAccount } from '../format/slots/keychain';
