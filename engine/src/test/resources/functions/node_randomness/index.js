// Random values from every source a function uses, and an id drawn at import: the id is the same
// in every instance restored from one snapshot, the draws must not be.
const crypto = require('crypto');
const { randomBytes } = require('crypto');
const instanceId = crypto.randomBytes(8).toString('hex');
const draw = Math.random;

exports.handler = async () => ({
  instanceId,
  pid: process.pid,
  math: Math.random(),
  mathTakenAtImport: draw(),
  randomBytes: randomBytes(16).toString('hex'),
  uuid: crypto.randomUUID(),
  webcrypto: Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('hex'),
});
