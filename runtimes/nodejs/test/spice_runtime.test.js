'use strict';
/*
 * Tests of the Node.js runtime shim, driven over a socketpair exactly as the engine drives it.
 *
 * Run from the repository root (the engine's Maven build does):
 *     /usr/bin/node --test runtimes/nodejs/test/
 *
 * Node cannot make a socketpair itself, but the child end of a spawned 'pipe' is one (libuv
 * makes it blocking, as the engine's is): it is handed over as fd 3 and moved to fd 0 by sh.
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const NODE = '/usr/bin/node';
const SHIM = path.resolve(__dirname, '..', 'spice_runtime.js');
const FLAGS = ['--expose-gc', '--single-threaded', '--v8-pool-size=1'];
const TIMEOUT_MS = 30000;

const MODULES = {
  'app.js': `
    const crypto = require('crypto');
    const { randomBytes } = require('crypto');
    const nativeRandom = Math.random;
    exports.echo = async (event) => event;
    exports.sync = (event, context) => ({ sync: event });
    exports.promise = (event) => new Promise((resolve) => setTimeout(() => resolve({ later: event }), 20));
    exports.callback = (event, context, callback) => { setTimeout(() => callback(null, { called: event }), 10); };
    exports.callbackWaits = (event, context, callback) => {
      globalThis.fired = false;
      setTimeout(() => { globalThis.fired = true; console.log('timer fired'); }, 50);
      callback(null, 'early');
    };
    exports.callbackNoWait = (event, context, callback) => {
      context.callbackWaitsForEmptyEventLoop = false;
      setTimeout(() => console.log('late timer'), 200);
      callback(null, 'now');
    };
    exports.callbackWaitsThenThrows = (event, context, callback) => {
      setTimeout(() => { throw new RangeError('after the result'); }, 10);
      callback(null, 'done');
    };
    exports.callbackError = (event, context, callback) => callback(new TypeError('bad input'));
    exports.callbackString = (event, context, callback) => callback('just a string');
    exports.neverCalls = (event, context, callback) => {};
    exports.succeed = (event, context) => { context.succeed({ legacy: true }); };
    exports.context = async (event, context) => {
      const first = context.getRemainingTimeInMillis();
      await new Promise((r) => setTimeout(r, 50));
      return { ...context, first, second: context.getRemainingTimeInMillis(),
               hasIdentity: 'identity' in context, pid: process.pid };
    };
    exports.chatty = async (event) => {
      console.log('logged', event.word, { n: 1 });
      console.error('errored %s', event.word);
      console.warn('warned');
      console.info('informed');
      process.stdout.write('raw stdout ' + event.word + '\\n');
      process.stderr.write('raw stderr\\n');
      await new Promise((r) => setTimeout(r, 5));
      console.log('after await', event.word);
      return event.word;
    };
    exports.throws = async () => { null.property; };
    exports.throwsString = () => { throw 'thrown text'; };
    function deeper() { throw new Error('sync failure'); }
    exports.syncThrows = () => deeper();
    exports.custom = async () => { class QuotaError extends Error { constructor(m) { super(m); this.name = 'QuotaError'; } } throw new QuotaError('over quota'); };
    exports.cycle = async () => { const a = {}; a.self = a; return a; };
    exports.bigint = async () => 1n;
    exports.nothing = async () => undefined;
    exports.uncaught = async () => { setTimeout(() => { throw new RangeError('from a timer'); }, 5); await new Promise((r) => setTimeout(r, 1000)); };
    exports.rejection = async () => { Promise.reject(new Error('nobody listens')); await new Promise((r) => setTimeout(r, 1000)); };
    exports.random = async () => ({
      math: Math.random(), native: nativeRandom(), bytes: crypto.randomBytes(16).toString('hex'),
      destructured: randomBytes(8).toString('hex'), uuid: crypto.randomUUID(), webUuid: globalThis.crypto.randomUUID(),
      values: Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4))),
      fill: crypto.randomFillSync(Buffer.alloc(8)).toString('hex'), int: crypto.randomInt(1000000000),
      asyncBytes: await new Promise((res, rej) => crypto.randomBytes(8, (e, b) => (e ? rej(e) : res(b.toString('hex'))))),
    });
    exports.stats = async () => {
      const bins = new Array(10).fill(0);
      let sum = 0;
      for (let i = 0; i < 100000; i++) { const x = Math.random(); sum += x; bins[Math.floor(x * 10)]++; }
      return { mean: sum / 100000, bins };
    };
    exports.nested = { deeper: { handler: async () => 'nested export' } };
  `,
  'lib/tools/mod.js': `exports.handler = async (event) => ({ from: __filename, event });`,
  'esm.mjs': `
    import { randomBytes } from 'node:crypto';
    export const handler = async (event) => ({ esm: true, event, bytes: randomBytes(4).toString('hex') });
  `,
  'typed/package.json': '{"type": "module"}',
  'typed/index.js': `export async function handler(event) { return { typed: event }; }`,
  'common.cjs': `module.exports.handler = async () => 'cjs';`,
  'noisy.js': `
    console.log('logged at import');
    process.stdout.write('written at import\\n');
    console.error('error at import');
    exports.handler = async () => 'ok';
  `,
  'broken.js': `require('spice-no-such-module-for-tests');`,
  'syntax.js': `exports.handler = async () => {;`,
  'notfn.js': `exports.handler = 42;`,
};

class Shim {
  constructor(codeDir, handler, env = {}) {
    this.child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" <&3 3<&-', NODE, ...FLAGS, SHIM, handler, codeDir], {
      cwd: codeDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.channel = this.child.stdio[3];
    this.buffer = Buffer.alloc(0);
    this.waiters = [];
    this.stdout = '';
    this.stderr = '';
    this.child.stdout.on('data', (d) => { this.stdout += d; });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    this.chunks = [];
    this.channel.on('data', (d) => { this.chunks.push(d); this.pump(); });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      this.closed = true;
      this.pump();
      resolve(code);
    }));
  }

  /** Hands complete frames to waiting receivers; chunks are joined only once a frame is whole. */
  pump() {
    while (this.waiters.length) {
      const pending = this.buffer.length + this.chunks.reduce((n, c) => n + c.length, 0);
      if (pending < 4) break;
      if (this.buffer.length < 4 || this.buffer.length < 4 + this.buffer.readUInt32BE(0)) {
        const head = this.buffer.length >= 4 ? this.buffer : Buffer.concat([this.buffer, ...this.chunks]);
        if (pending < 4 + head.readUInt32BE(0)) break;
        this.buffer = Buffer.concat([this.buffer, ...this.chunks]);
        this.chunks = [];
      }
      const length = this.buffer.readUInt32BE(0);
      const body = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      this.waiters.shift().resolve(JSON.parse(body.toString('utf8')));
    }
    while (this.closed && this.waiters.length) {
      this.waiters.shift().reject(new Error(`the shim exited; stderr: ${this.stderr}`));
    }
  }

  receive() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${TIMEOUT_MS} ms; stderr: ${this.stderr}`)), TIMEOUT_MS);
      this.waiters.push({ resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); } });
      this.pump();
    });
  }

  sendRaw(body) {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    this.channel.write(Buffer.concat([header, body]));
  }

  send(message) {
    this.sendRaw(Buffer.from(JSON.stringify(message)));
  }

  async invoke(event = null, { requestId = 'req-1', reseed, deadlineInMs = 60000 } = {}) {
    const request = { type: 'invoke', request_id: requestId, event, deadline_ms: Date.now() + deadlineInMs,
      function_name: 'hello', memory_mb: 128 };
    if (reseed !== undefined) request.reseed = reseed;
    this.send(request);
    const response = await this.receive();
    assert.equal(response.type, 'result', JSON.stringify(response));
    assert.equal(response.request_id, requestId);
    return response;
  }

  /** Closes the engine's end; resolves to [exit status, stdout, stderr]. */
  async finish() {
    this.channel.end();
    const code = await this.exited;
    return [code, this.stdout, this.stderr];
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.channel.destroy();
  }
}

describe('the Node.js runtime shim', () => {
  let codeDir;
  const shims = [];

  before(() => {
    codeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spice-node-runtime-test-'));
    for (const [name, source] of Object.entries(MODULES)) {
      fs.mkdirSync(path.dirname(path.join(codeDir, name)), { recursive: true });
      fs.writeFileSync(path.join(codeDir, name), source);
    }
  });

  after(() => {
    shims.forEach((s) => s.kill());
    fs.rmSync(codeDir, { recursive: true, force: true });
  });

  async function start(handler, { expectReady = true, env = {} } = {}) {
    const shim = new Shim(codeDir, handler, env);
    shims.push(shim);
    if (expectReady) {
      const ready = await shim.receive();
      assert.equal(ready.type, 'ready', JSON.stringify(ready));
      assert.ok(ready.init_ms > 0);
    }
    return shim;
  }

  test('an async handler returns its payload, the event passes through', async () => {
    const shim = await start('app.echo');
    const event = { a: [1, 2.5, null, true], b: 'ünïcode' };
    const response = await shim.invoke(event);
    assert.equal(response.ok, true);
    assert.deepEqual(response.payload, event);
    assert.equal(response.log, '');
    assert.ok(response.duration_ms >= 0);
    assert.equal((await shim.invoke(7, { requestId: 'req-2' })).payload, 7);
  });

  test('promise, callback, legacy succeed and plain return forms', async () => {
    const cases = [['app.promise', { later: 3 }], ['app.callback', { called: 3 }], ['app.sync', { sync: 3 }],
      ['app.succeed', { legacy: true }], ['app.nested.deeper.handler', 'nested export']];
    for (const [handler, expected] of cases) {
      const shim = await start(handler);
      assert.deepEqual((await shim.invoke(3)).payload, expected, handler);
      assert.deepEqual((await shim.invoke(3, { requestId: 'req-2' })).payload, expected, handler);
    }
  });

  test('a callback waits for the empty event loop unless told not to', async () => {
    const waits = await start('app.callbackWaits');
    const response = await waits.invoke(1);
    assert.equal(response.payload, 'early');
    assert.match(response.log, /\treq-1\tINFO\ttimer fired\n/);
    const noWait = await start('app.callbackNoWait');
    const quick = await noWait.invoke(1);
    assert.equal(quick.payload, 'now');
    assert.equal(quick.log, '');
    assert.ok(quick.duration_ms < 150, `${quick.duration_ms}`);
  });

  test('a callback handler that never calls back ends with null when its loop drains', async () => {
    const shim = await start('app.neverCalls');
    const response = await shim.invoke(1);
    assert.equal(response.ok, true);
    assert.equal(response.payload, null);
  });

  test('callback errors, thrown errors and thrown strings have Lambda\'s shape', async () => {
    const typed = (await (await start('app.callbackError')).invoke()).error;
    assert.equal(typed.errorType, 'TypeError');
    assert.equal(typed.errorMessage, 'bad input');
    assert.equal(typed.trace[0], 'TypeError: bad input');
    assert.ok(typed.stackTrace.some((l) => l.includes(path.join(codeDir, 'app.js'))), JSON.stringify(typed));
    const asString = (await (await start('app.callbackString')).invoke()).error;
    assert.deepEqual(asString, { errorType: 'string', errorMessage: 'just a string', stackTrace: [], trace: [] });
    const shim = await start('app.throws');
    const response = await shim.invoke();
    assert.equal(response.ok, false);
    assert.equal('payload' in response, false);
    assert.equal(response.error.errorType, 'TypeError');
    assert.match(response.error.errorMessage, /Cannot read properties of null/);
    assert.ok(response.error.stackTrace.length >= 1);
    assert.ok(response.error.stackTrace.every((l) => l.startsWith('at ') && !l.includes('spice_runtime')), JSON.stringify(response.error));
    assert.equal((await shim.invoke(null, { requestId: 'req-2' })).ok, false, 'the instance goes on');
    assert.equal((await (await start('app.throwsString')).invoke()).error.errorType, 'string');
    const sync = (await (await start('app.syncThrows')).invoke()).error;
    assert.equal(sync.stackTrace.length, 2, JSON.stringify(sync));
    assert.match(sync.stackTrace[0], /^at deeper \(.*app\.js:\d+:\d+\)$/);
    assert.match(sync.stackTrace[1], /^at exports\.syncThrows \(.*app\.js:\d+:\d+\)$/);
    assert.equal((await (await start('app.custom')).invoke()).error.errorType, 'QuotaError');
  });

  test('uncaught exceptions and unhandled rejections fail the running invocation', async () => {
    const uncaught = await start('app.uncaught');
    const error = (await uncaught.invoke()).error;
    assert.equal(error.errorType, 'RangeError');
    assert.equal(error.errorMessage, 'from a timer');
    const logged = (await (await start('app.callbackWaitsThenThrows')).invoke()).log;
    assert.match(logged, /\treq-1\tERROR\tUncaught Exception\tRangeError: after the result/);
    const rejection = await start('app.rejection');
    const rejected = (await rejection.invoke()).error;
    assert.equal(rejected.errorType, 'Runtime.UnhandledPromiseRejection');
    assert.equal(rejected.errorMessage, 'nobody listens');
    assert.equal((await rejection.invoke(null, { requestId: 'req-2' })).error.errorType, 'Runtime.UnhandledPromiseRejection');
  });

  test('results that are not JSON are marshal errors; undefined is null', async () => {
    for (const handler of ['app.cycle', 'app.bigint']) {
      const response = await (await start(handler)).invoke();
      assert.equal(response.ok, false);
      assert.equal(response.error.errorType, 'Runtime.MarshalError', handler);
      assert.match(response.error.errorMessage, /^Unable to stringify response body: /);
    }
    const nothing = await (await start('app.nothing')).invoke();
    assert.equal(nothing.ok, true);
    assert.equal(nothing.payload, null);
  });

  test('context fields', async () => {
    const shim = await start('app.context');
    const p = (await shim.invoke(null, { requestId: 'abc-123', deadlineInMs: 30000 })).payload;
    assert.equal(p.functionName, 'hello');
    assert.equal(p.memoryLimitInMB, '128');
    assert.equal(p.awsRequestId, 'abc-123');
    assert.equal(p.functionVersion, '$LATEST');
    assert.equal(p.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:hello');
    assert.equal(p.logGroupName, '/aws/lambda/hello');
    assert.equal(p.logStreamName, `spice/${p.pid}`);
    assert.equal(p.callbackWaitsForEmptyEventLoop, true);
    assert.equal(p.hasIdentity, true);
    assert.ok(p.first <= 30000 && p.second > 0);
    assert.ok(p.first - p.second >= 40, `${p.first} - ${p.second}`);
    const late = await shim.invoke(null, { requestId: 'late', deadlineInMs: -5000 });
    assert.equal(late.payload.first, 0);
    assert.equal(late.payload.second, 0);
  });

  test('console and process.stdout/stderr go to the invocation\'s log only', async () => {
    const shim = await start('app.chatty');
    const first = await shim.invoke({ word: 'alpha' }, { requestId: 'req-a' });
    const second = await shim.invoke({ word: 'beta' }, { requestId: 'req-b' });
    assert.match(first.log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-a\tINFO\tlogged alpha \{ n: 1 \}\n/);
    assert.match(first.log, /\treq-a\tERROR\terrored alpha\n/);
    assert.match(first.log, /\treq-a\tWARN\twarned\n/);
    assert.match(first.log, /\treq-a\tINFO\tinformed\n/);
    assert.ok(first.log.includes('raw stdout alpha\nraw stderr\n'));
    assert.match(first.log, /\treq-a\tINFO\tafter await alpha\n$/);
    assert.ok(!second.log.includes('alpha'));
    assert.match(second.log, /\treq-b\tINFO\tafter await beta\n$/);
    assert.deepEqual(await shim.finish(), [0, '', '']);
  });

  test('output outside invocations goes to fds 1 and 2', async () => {
    const shim = await start('noisy.handler');
    assert.equal((await shim.invoke()).log, '');
    const [code, stdout, stderr] = await shim.finish();
    assert.equal(code, 0);
    assert.match(stdout, /^\S+Z\t\tINFO\tlogged at import\nwritten at import\n$/);
    assert.match(stderr, /^\S+Z\t\tERROR\terror at import\n$/);
  });

  test('nested directories, ES modules and .cjs', async () => {
    const nested = (await (await start('lib/tools/mod.handler')).invoke('x')).payload;
    assert.deepEqual(nested, { from: path.join(codeDir, 'lib/tools/mod.js'), event: 'x' });
    const esm = (await (await start('esm.handler')).invoke('y')).payload;
    assert.equal(esm.esm, true);
    assert.match(esm.bytes, /^[0-9a-f]{8}$/);
    assert.deepEqual((await (await start('typed/index.handler')).invoke('z')).payload, { typed: 'z' });
    assert.equal((await (await start('common.handler')).invoke()).payload, 'cjs');
  });

  test('init errors: missing module, missing dependency, syntax error, not a function', async () => {
    const cases = [['nothere.handler', 'Runtime.ImportModuleError', /Cannot find module 'nothere'/],
      ['broken.handler', 'Runtime.ImportModuleError', /spice-no-such-module-for-tests/],
      ['syntax.handler', 'Runtime.UserCodeSyntaxError', /SyntaxError/],
      ['notfn.handler', 'Runtime.HandlerNotFound', /notfn.handler is undefined or not exported/],
      ['app.missing', 'Runtime.HandlerNotFound', /app.missing/]];
    for (const [handler, type, message] of cases) {
      const shim = await start(handler, { expectReady: false });
      const reply = await shim.receive();
      assert.equal(reply.type, 'init_error', handler);
      assert.equal(reply.error.errorType, type, handler);
      assert.match(reply.error.errorMessage, message, handler);
      assert.equal(await shim.exited, 1, handler);
    }
  });

  async function randomAfter(handler, reseed) {
    const shim = await start(handler);
    const payload = (await shim.invoke(null, { reseed })).payload;
    await shim.finish();
    return payload;
  }

  test('reseeding: the same entropy gives the same Math.random, different entropy different values everywhere', async () => {
    const seeds = Array.from({ length: 3 }, (_, i) => require('node:crypto').createHash('sha256').update(`seed ${i}`).digest('hex'));
    const one = await randomAfter('app.random', seeds[0]);
    const oneAgain = await randomAfter('app.random', seeds[0]);
    const two = await randomAfter('app.random', seeds[1]);
    const unseeded = [await randomAfter('app.random', undefined), await randomAfter('app.random', undefined)];
    assert.equal(one.math, oneAgain.math, 'Math.random follows the engine\'s entropy');
    assert.equal(one.native, oneAgain.native, 'a reference taken at import is the reseeded generator');
    for (const key of Object.keys(one)) {
      assert.notDeepEqual(one[key], two[key], key);
      assert.notDeepEqual(unseeded[0][key], unseeded[1][key], key);
    }
    for (const p of [one, two]) {
      assert.ok(p.math >= 0 && p.math < 1);
      assert.match(p.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(p.webUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(Number.isInteger(p.int) && p.int >= 0 && p.int < 1e9);
    }
  });

  test('Math.random stays uniform: generated seeds, mean and spread of many draws', async () => {
    const shim = await start('app.stats');
    for (let i = 0; i < 4; i++) {
      const seed = require('node:crypto').randomBytes(32).toString('hex');
      const { mean, bins } = (await shim.invoke(null, { reseed: seed, requestId: `r${i}` })).payload;
      assert.ok(Math.abs(mean - 0.5) < 0.01, `seed ${seed}: mean ${mean}`);
      bins.forEach((count) => assert.ok(Math.abs(count - 10000) < 600, `seed ${seed}: bins ${bins}`));
    }
  });

  test('prepare answers prepared and the instance goes on', async () => {
    const shim = await start('app.echo');
    await shim.invoke(1);
    shim.send({ type: 'prepare' });
    assert.deepEqual(await shim.receive(), { type: 'prepared' });
    assert.equal((await shim.invoke(2, { requestId: 'req-2' })).payload, 2);
  });

  test('unknown and bad requests get an error and the instance goes on', async () => {
    const shim = await start('app.echo');
    shim.send({ type: 'dance' });
    const reply = await shim.receive();
    assert.equal(reply.type, 'error');
    assert.match(reply.message, /dance/);
    shim.send({ type: 'invoke', event: 1 });
    assert.equal((await shim.receive()).type, 'error');
    shim.send({ type: 'invoke', event: 1, request_id: 'x', deadline_ms: Date.now(), function_name: 'f', memory_mb: 1, reseed: 'zz' });
    assert.equal((await shim.receive()).type, 'error');
    assert.equal((await shim.invoke(3)).payload, 3);
  });

  test('end of file exits 0; malformed, oversized and truncated frames exit 2', async () => {
    const shim = await start('app.echo');
    await shim.invoke(1);
    assert.deepEqual(await shim.finish(), [0, '', '']);
    for (const body of [Buffer.from('not json'), Buffer.from('[1, 2]'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d])]) {
      const bad = await start('app.echo');
      bad.sendRaw(body);
      const [code, , stderr] = await bad.finish();
      assert.equal(code, 2, body.toString());
      assert.match(stderr, /^spice_runtime: malformed frame: [^\n]+\n$/);
    }
    const oversized = await start('app.echo');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 * 1024 + 1);
    oversized.channel.write(header);
    const [code, , stderr] = await oversized.finish();
    assert.equal(code, 2);
    assert.match(stderr, /exceeds 64 MiB/);
    const truncated = await start('app.echo');
    header.writeUInt32BE(100);
    truncated.channel.write(Buffer.concat([header, Buffer.from('{}')]));
    const [tcode, , tstderr] = await truncated.finish();
    assert.equal(tcode, 2);
    assert.match(tstderr, /end of file/);
  });

  test('large messages cross in both directions', async () => {
    const shim = await start('app.echo');
    const event = 'x'.repeat(8 * 1024 * 1024);
    assert.equal((await shim.invoke(event)).payload, event);
  });
});
