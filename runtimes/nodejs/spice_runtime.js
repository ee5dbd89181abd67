'use strict';
/*
 * Spice's Node.js runtime shim: one function instance, driven by the engine over fd 0.
 *
 * Started as `node --expose-gc [flags] spice_runtime.js HANDLER CODE_DIR` (NodeCommand gives the
 * flags); the protocol is docs/runtime-protocol.md. The process is snapshotted while its main
 * thread blocks in read(0, ...): the shim reads and writes its descriptors with fs.readSync and
 * fs.writeSync only, so it never puts a libuv handle on fds 0-2 and no I/O of its own is pending
 * while it waits. Protocol frames go to fd 0 only (or fd 1 with SPICE_RESPONSE_FD=1); fds 1 and 2
 * carry output written outside invocations.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const stream = require('stream');
const util = require('util');
const { pathToFileURL } = require('url');

const RESPONSE_FD = process.env.SPICE_RESPONSE_FD === '1' ? 1 : 0;
const STDOUT_FD = RESPONSE_FD === 1 ? 2 : 1;
const MAX_FRAME = 64 * 1024 * 1024;
const LOG_TAIL = 1024 * 1024;
const SHIM_FILE = __filename;
const EXTENSIONS = ['.js', '.mjs', '.cjs'];

class ProtocolError extends Error {}

/** The request being served; whatever the function writes meanwhile belongs to its log. */
let current = null;

// ------------------------------------------------------------------ descriptors and frames

function writeAll(fd, buffer) {
  let done = 0;
  while (done < buffer.length) {
    try {
      done += fs.writeSync(fd, buffer, done, buffer.length - done);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;   // a descriptor someone made non-blocking: retry
    }
  }
}

/** Reads size bytes from fd 0; fewer only if the engine closed its end. */
function readExactly(size) {
  const buffer = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    let n;
    try {
      n = fs.readSync(0, buffer, done, size - done, null);
    } catch (err) {
      if (err.code === 'EAGAIN' || err.code === 'EINTR') continue;
      throw err;
    }
    if (n === 0) break;
    done += n;
  }
  return done === size ? buffer : buffer.subarray(0, done);
}

/** The next request, or null if the engine closed the channel between frames. */
function receive() {
  const header = readExactly(4);
  if (header.length === 0) return null;
  if (header.length < 4) throw new ProtocolError('end of file inside a frame header');
  const length = header.readUInt32BE(0);
  if (length > MAX_FRAME) throw new ProtocolError(`frame of ${length} bytes exceeds 64 MiB`);
  const body = readExactly(length);
  if (body.length < length) throw new ProtocolError(`end of file after ${body.length} of ${length} bytes`);
  let request;
  try {
    request = JSON.parse(new util.TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    throw new ProtocolError(`frame is not UTF-8 JSON: ${err.message}`);
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new ProtocolError('frame is not a JSON object');
  }
  return request;
}

function send(body) {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length, 0);
  writeAll(RESPONSE_FD, header);   // two writes: copying a large body once more costs more
  writeAll(RESPONSE_FD, body);
}

function encode(message) {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

// ------------------------------------------------------------------ output and logs

/** Text from the function: into the running invocation's log, else straight to fd (synchronously). */
function emit(fd, text) {
  if (current !== null) current.log.push(text);
  else writeAll(fd, Buffer.from(text, 'utf8'));
}

/** process.stdout and process.stderr: Writables that call emit, so no libuv pipe handle exists. */
function outputStream(fd) {
  const out = new stream.Writable({
    decodeStrings: false,
    write(chunk, encoding, callback) {
      emit(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      callback();
    },
  });
  out.fd = fd;
  out.isTTY = false;
  return out;
}

/** Lambda's layout for console output: UTC time, request id, level, message. */
function consoleMethod(fd, level) {
  return (...args) => {
    const id = current !== null ? current.requestId : '';
    emit(fd, `${new Date().toISOString()}\t${id}\t${level}\t${util.format(...args)}\n`);
  };
}

function installOutput() {
  const stdout = outputStream(STDOUT_FD);
  const stderr = outputStream(2);
  const stdin = new stream.Readable({ read() { this.push(null); } });   // fd 0 is the engine's
  for (const [name, value] of [['stdout', stdout], ['stderr', stderr], ['stdin', stdin]]) {
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => value });
  }
  console.log = consoleMethod(STDOUT_FD, 'INFO');
  console.info = consoleMethod(STDOUT_FD, 'INFO');
  console.debug = consoleMethod(STDOUT_FD, 'DEBUG');
  console.warn = consoleMethod(2, 'WARN');
  console.error = consoleMethod(2, 'ERROR');
  const traceLine = consoleMethod(2, 'TRACE');
  console.trace = (...args) => {
    const trace = { name: 'Trace', message: util.format(...args) };
    Error.captureStackTrace(trace, console.trace);
    traceLine(trace.stack);
  };
}

// ------------------------------------------------------------------ errors

/**
 * The frames of a stack that belong to the function: those above the shim's first frame (and the
 * Promise executor the shim calls it in), without Node's internal ones.
 */
function userFrames(stack) {
  const frames = String(stack).split('\n').filter((line) => /^\s+at /.test(line));
  const shim = frames.findIndex((line) => line.includes(SHIM_FILE));
  const own = shim < 0 ? frames : frames.slice(0, shim);
  if (shim > 0 && /^\s+at new Promise \(<anonymous>\)$/.test(own[own.length - 1])) own.pop();
  return own.filter((line) => !/\(node:|at node:/.test(line));
}

/**
 * Lambda's error shape. Node's Lambda runtime names the stack `trace` (message line first); the
 * protocol's `stackTrace` holds the frames alone, as for every language.
 */
function errorObject(err, type) {
  if (err instanceof Error || (err !== null && typeof err === 'object' && 'message' in err)) {
    const frames = userFrames(err.stack || '');
    return {
      errorType: type || err.name || err.constructor?.name || 'Error',
      errorMessage: String(err.message),
      stackTrace: frames.map((line) => line.trim()),
      trace: [`${err.name || 'Error'}: ${err.message}`, ...frames],
    };
  }
  // throw "text" or callback("text"): Lambda reports the value's type as the error's.
  return { errorType: type || typeof err, errorMessage: String(err), stackTrace: [], trace: [] };
}

// ------------------------------------------------------------------ the handler

function resolveModuleFile(base) {
  for (const ext of EXTENSIONS) {
    if (fs.existsSync(base + ext)) return base + ext;
  }
  return null;
}

/** An import error as Lambda names it, whatever the module system said. */
function initError(type, err) {
  const error = errorObject(err);
  error.errorType = type;
  error.errorMessage = `${err && err.name ? err.name : 'Error'}: ${err && err.message !== undefined ? err.message : err}`;
  return error;
}

/**
 * HANDLER is `dir/file.export` (Lambda's form, export path may be dotted): the module is
 * CODE_DIR/dir/file with .js, .mjs or .cjs. CommonJS is required; an ES module (.mjs, or .js in
 * a "type": "module" package) is imported.
 */
async function loadHandler(spec, codeDir) {
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  const moduleName = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split('.');
  process.chdir(codeDir);
  const file = resolveModuleFile(path.resolve(codeDir, moduleName));
  if (file === null) {
    const err = new Error(`Cannot find module '${moduleName}' (no ${EXTENSIONS.map((e) => moduleName + e).join(', ')} in ${codeDir})`);
    return { error: initError('Runtime.ImportModuleError', err) };
  }
  let exported;
  try {
    if (file.endsWith('.mjs')) {
      exported = await import(pathToFileURL(file).href);
    } else {
      try {
        exported = require(file);
      } catch (err) {
        if (err.code !== 'ERR_REQUIRE_ESM') throw err;
        exported = await import(pathToFileURL(file).href);
      }
    }
  } catch (err) {
    const type = err instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError';
    return { error: initError(type, err) };
  }
  let handler = exported;
  for (const key of exportPath) handler = handler == null ? undefined : handler[key];
  if (typeof handler !== 'function') {
    return { error: { errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${spec} is undefined or not exported`, stackTrace: [], trace: [] } };
  }
  return { handler };
}

/** The handler's context argument, with the fields of AWS Lambda's Node.js context. */
function lambdaContext(request, finish) {
  const name = String(request.function_name);
  const deadline = Number(request.deadline_ms);
  if (typeof request.request_id !== 'string' || !Number.isFinite(deadline) || !Number.isFinite(Number(request.memory_mb))) {
    throw new TypeError('request_id, deadline_ms and memory_mb are required');
  }
  return {
    awsRequestId: request.request_id,
    functionName: name,
    functionVersion: '$LATEST',
    memoryLimitInMB: String(Math.trunc(Number(request.memory_mb))),   // a string, as on Lambda
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `spice/${process.pid}`,   // asked per request: restores change it
    identity: undefined,
    clientContext: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // Lambda's legacy completion methods.
    succeed: (result) => finish(null, result),
    fail: (err) => finish(err === undefined || err === null ? new Error('handled') : err),
    done: (err, result) => finish(err, result),
  };
}

/**
 * Runs the handler the ways Lambda does: an async handler or one returning a promise settles
 * with it; otherwise the callback (event, context, callback) ends it, and then, while
 * context.callbackWaitsForEmptyEventLoop, only once the event loop has nothing left to do
 * (process 'beforeExit'). A plain function of two parameters returning a value ends with it.
 * An uncaught exception or unhandled rejection while it runs fails the invocation.
 */
function runHandler(handler, event, request) {
  return new Promise((resolve) => {
    let settled = false;
    let context;
    const settle = (outcome, waitForEmptyLoop) => {
      if (settled) return;
      settled = true;
      if (waitForEmptyLoop) waiting = () => resolve(outcome);
      else resolve(outcome);
    };
    const finish = (err, result) => {
      const outcome = err !== null && err !== undefined
        ? { ok: false, error: errorObject(err) } : { ok: true, payload: result };
      settle(outcome, context.callbackWaitsForEmptyEventLoop);
    };
    context = lambdaContext(request, finish);
    failCurrent = (err, type) => settle({ ok: false, error: errorObject(err, type) }, false);
    emptyLoop = () => settle({ ok: true, payload: null }, false);   // Lambda: no callback, loop drained
    try {
      const returned = handler(event, context, finish);
      if (returned !== null && typeof returned === 'object' && typeof returned.then === 'function') {
        returned.then((result) => settle({ ok: true, payload: result }, false),
          (err) => settle({ ok: false, error: errorObject(err) }, false));
      } else if (handler.length < 3 && returned !== undefined) {
        settle({ ok: true, payload: returned }, false);
      }
    } catch (err) {
      settle({ ok: false, error: errorObject(err) }, false);
    }
  });
}

/** Set while an invocation runs: where uncaught errors and an emptied event loop go. */
let failCurrent = null;
let emptyLoop = null;
/** A callback-style result held until the event loop is empty. */
let waiting = null;

function installProcessHooks() {
  // Logged in any case (into the running invocation's log, or to fd 2 between invocations):
  // one that comes after the invocation already has its result would otherwise go unseen.
  process.on('uncaughtException', (err) => {
    emit(2, `${new Date().toISOString()}\t${current !== null ? current.requestId : ''}\tERROR\tUncaught Exception\t${util.inspect(err)}\n`);
    if (failCurrent !== null) failCurrent(err);
  });
  process.on('unhandledRejection', (reason) => {
    emit(2, `${new Date().toISOString()}\t${current !== null ? current.requestId : ''}\tERROR\tUnhandled Promise Rejection\t${util.inspect(reason)}\n`);
    if (failCurrent !== null) failCurrent(reason, 'Runtime.UnhandledPromiseRejection');
  });
  // The loop runs dry only inside an invocation (between requests the shim blocks in read).
  process.on('beforeExit', () => {
    if (waiting !== null) {
      const release = waiting;
      waiting = null;
      release();
    } else if (emptyLoop !== null) {
      emptyLoop();
    }
  });
}

// ------------------------------------------------------------------ reseeding

/**
 * Math.random is replaced before the function loads, by sfc32 (a small fast generator, 128 bits
 * of state) seeded from OpenSSL at boot and from the engine's entropy after a restore. V8's own
 * generator keeps its state in the isolate where nothing can reseed it, so the replacement is the
 * only way a reference taken at import (`const rand = Math.random`) also changes.
 */
const randomState = new Uint32Array(4);

function seedRandom(bytes) {
  const words = crypto.createHash('sha256').update('Math.random').update(bytes).digest();
  for (let i = 0; i < 4; i++) randomState[i] = words.readUInt32LE(4 * i);
  for (let i = 0; i < 12; i++) nextWord();   // sfc32's warm-up
}

function nextWord() {
  const s = randomState;
  const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
  s[3] = (s[3] + 1) >>> 0;
  s[0] = s[1] ^ (s[1] >>> 9);
  s[1] = (s[2] + (s[2] << 3)) >>> 0;
  s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
  s[2] = (s[2] + t) >>> 0;
  return t;
}

function random() {
  // 53 random bits, as V8's: 27 from one word and 26 from the next.
  return ((nextWord() >>> 5) * 67108864 + (nextWord() >>> 6)) / 9007199254740992;
}

/**
 * After a restore every random byte the function gets from crypto is OpenSSL's output XORed with
 * AES-256-CTR keystream under a key from the engine's entropy. OpenSSL's DRBG state is in the
 * snapshot and Node offers no way to reseed it (its fork detection compares getpid(), which a
 * restore into the same PID namespace keeps), so instances restored from one image would draw
 * the same bytes; the keystream differs per instance. Node's own JS-level caches (randomUUID's
 * and randomInt's) are bypassed by reimplementing both on top of the mixed bytes.
 */
let keystream = null;

function mix(view) {
  if (keystream === null || view.length === 0) return;
  const pad = keystream.update(Buffer.alloc(view.length));
  for (let i = 0; i < view.length; i++) view[i] ^= pad[i];
}

function bytesOf(value) {
  return ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    : new Uint8Array(value);
}

function uuidFrom(bytes) {
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function installRandom() {
  seedRandom(crypto.randomBytes(32));
  Object.defineProperty(Math, 'random', { value: random, writable: true, configurable: true });

  const original = {
    randomBytes: crypto.randomBytes, randomFillSync: crypto.randomFillSync, randomFill: crypto.randomFill,
  };
  const randomBytes = (size, callback) => {
    if (typeof callback !== 'function') {
      const out = original.randomBytes(size);
      mix(out);
      return out;
    }
    return original.randomBytes(size, (err, out) => {
      if (!err) mix(out);
      callback(err, out);
    });
  };
  const randomFillSync = (buffer, offset, size) => {
    original.randomFillSync(buffer, offset, size);
    const all = bytesOf(buffer);
    const start = offset === undefined ? 0 : offset * (ArrayBuffer.isView(buffer) ? buffer.BYTES_PER_ELEMENT || 1 : 1);
    const length = size === undefined ? all.length - start : size * (ArrayBuffer.isView(buffer) ? buffer.BYTES_PER_ELEMENT || 1 : 1);
    mix(all.subarray(start, start + length));
    return buffer;
  };
  const randomFill = (buffer, ...rest) => {
    const callback = rest.pop();
    const [offset, size] = rest;
    return original.randomFill(buffer, ...rest, (err, out) => {
      if (!err) {
        const all = bytesOf(out);
        const per = ArrayBuffer.isView(out) ? out.BYTES_PER_ELEMENT || 1 : 1;
        const start = offset === undefined ? 0 : offset * per;
        mix(all.subarray(start, size === undefined ? all.length : start + size * per));
      }
      callback(err, out);
    });
  };
  const randomUUID = () => uuidFrom(randomBytes(16));
  const randomInt = (min, max, callback) => {
    if (typeof max !== 'number' || !Number.isFinite(max)) { callback = max; max = min; min = 0; }
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min >= 2 ** 48) {
      throw new RangeError(`The arguments "min" (${min}) and "max" (${max}) must be safe integers, min < max, max - min < 2^48`);
    }
    const range = max - min;
    const limit = 2 ** 48 - (2 ** 48 % range);   // rejection sampling: no modulo bias
    let value;
    do value = randomBytes(6).readUIntBE(0, 6); while (value >= limit);
    const result = min + (value % range);
    if (typeof callback === 'function') { process.nextTick(callback, null, result); return undefined; }
    return result;
  };
  Object.assign(crypto, { randomBytes, randomFillSync, randomFill, randomUUID, randomInt });
  for (const alias of ['pseudoRandomBytes', 'prng', 'rng']) {
    if (Object.getOwnPropertyDescriptor(crypto, alias)?.writable) crypto[alias] = randomBytes;
  }

  // Web Crypto (globalThis.crypto, crypto.webcrypto, and crypto.getRandomValues, a getter that
  // reads the method from it) shares one prototype.
  const proto = Object.getPrototypeOf(crypto.webcrypto);
  const getRandomValues = proto.getRandomValues;
  proto.getRandomValues = function (array) {
    const out = getRandomValues.call(this, array);
    mix(bytesOf(array));
    return out;
  };
  proto.randomUUID = function () {
    return uuidFrom(randomBytes(16));
  };
  require('module').syncBuiltinESMExports();   // `import { randomBytes } from 'node:crypto'` too
}

/** The first request after a restore brings 32 bytes that no other instance got. */
function reseed(entropy) {
  seedRandom(entropy);
  const key = crypto.createHash('sha256').update('crypto').update(entropy).digest();
  keystream = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

// ------------------------------------------------------------------ requests

function runtimeError(response, errorType, message) {
  const { payload, ...failed } = response;
  return { ...failed, ok: false, error: { errorType, errorMessage: message, stackTrace: [], trace: [] } };
}

/**
 * Encodes the reply; encoding is where a result that cannot be sent shows up (a cycle, a
 * BigInt), and such a result still gets an answer.
 */
function reply(response) {
  let body;
  try {
    body = encode(response);
  } catch (err) {
    body = encode(runtimeError(response, 'Runtime.MarshalError', `Unable to stringify response body: ${err.message}`));
  }
  if (body.length > MAX_FRAME) {   // the engine would end the instance on an oversized frame
    const failed = runtimeError(response, 'Runtime.ResponseTooLarge',
      `Response of ${body.length} bytes exceeds the 64 MiB frame limit`);
    failed.log = failed.log.slice(-LOG_TAIL);
    body = encode(failed);
  }
  return body;
}

async function invoke(handler, request) {
  let entropy = null;
  try {
    if (!('event' in request)) throw new TypeError("'event' is missing");
    lambdaContext(request, () => {});
    if ('reseed' in request) {
      if (!/^([0-9a-fA-F]{2})+$/.test(request.reseed)) throw new TypeError("'reseed' is not hex");
      entropy = Buffer.from(request.reseed, 'hex');
    }
  } catch (err) {
    return encode({ type: 'error', message: `bad invoke request: ${err.message}` });
  }
  if (entropy !== null) reseed(entropy);
  const invocation = current = { requestId: request.request_id, log: [] };
  const started = process.hrtime.bigint();
  let outcome;
  try {
    outcome = await runHandler(handler, request.event, request);
  } finally {
    current = null;
    failCurrent = null;
    emptyLoop = null;
    waiting = null;
  }
  if (outcome.ok && outcome.payload === undefined) outcome.payload = null;
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  return reply({ type: 'result', request_id: request.request_id, ...outcome,
    log: invocation.log.join(''), duration_ms: Math.round(durationMs * 1000) / 1000 });
}

/** Shrinks the heap just before the snapshot: fewer pages to save and to restore. */
function prepare() {
  for (let i = 0; i < 3; i++) global.gc();
  return encode({ type: 'prepared' });
}

/**
 * Answers one request, then schedules the next read as a fresh macrotask, so that between
 * requests nothing of the shim is on the JavaScript stack but this read, and an invocation's
 * promises and timers run in the event loop as usual.
 */
function serveNext(handler) {
  let request;
  try {
    request = receive();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    writeAll(2, Buffer.from(`spice_runtime: malformed frame: ${err.message}\n`));
    process.exit(2);
  }
  if (request === null) process.exit(0);
  const next = () => setImmediate(serveNext, handler);
  if (request.type === 'invoke') {
    invoke(handler, request).then((body) => { send(body); next(); }, (err) => {
      writeAll(2, Buffer.from(`spice_runtime: ${util.inspect(err)}\n`));
      process.exit(2);
    });
  } else if (request.type === 'prepare') {
    send(prepare());
    next();
  } else {
    send(encode({ type: 'error', message: `unknown request type ${JSON.stringify(request.type)}` }));
    next();
  }
}

async function main(argv) {
  if (argv.length !== 2) {
    writeAll(2, Buffer.from('usage: spice_runtime.js HANDLER CODE_DIR\n'));
    process.exit(2);
  }
  installOutput();
  installRandom();
  installProcessHooks();
  const loaded = await loadHandler(argv[0], argv[1]);
  if (loaded.error) {
    send(encode({ type: 'init_error', error: loaded.error }));
    process.exit(1);
  }
  send(encode({ type: 'ready', init_ms: Math.round(performance.now() * 1000) / 1000 }));
  setImmediate(serveNext, loaded.handler);
}

main(process.argv.slice(2));
