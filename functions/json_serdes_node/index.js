// json_serdes_node: JSON.parse and JSON.stringify of a ~100 KB document (FunctionBench's
// json_dumps_loads, as the paper runs it on Node.js). The document (input.json) and its expected
// size and digest (expected.json) are written by functions/generate_inputs.py; the document is
// read from disk in every invocation (synchronously, as a function would at this size).
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { isDeepStrictEqual } = require('util');

const EXPECTED = JSON.parse(fs.readFileSync(path.join(__dirname, 'expected.json'), 'utf8'));

exports.handler = async (event) => {
  const raw = fs.readFileSync(path.join(__dirname, event.path || 'input.json'));
  const document = JSON.parse(raw.toString('utf8'));
  const text = JSON.stringify(document);
  const again = JSON.parse(text);
  const verified = isDeepStrictEqual(again, document) && raw.length === EXPECTED.size
    && document.records.length === EXPECTED.records
    && crypto.createHash('sha256').update(text).digest('hex') === EXPECTED.stringify_sha256;
  return { input_bytes: raw.length, output_bytes: Buffer.byteLength(text), records: document.records.length, verified };
};
