// An ES module whose handler returns a promise without being async.
import { createHash } from 'node:crypto';

export function handler(event) {
  return new Promise((resolve) => setImmediate(() => resolve({
    sha256: createHash('sha256').update(String(event.text)).digest('hex'),
  })));
}
