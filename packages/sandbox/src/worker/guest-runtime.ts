/**
 * The code that runs inside every isolate before the tool, as source text (never bundled or
 * transformed, so what is reviewed here is what runs).
 *
 * It is a function expression taking `(host, configJson)`: one host callback that takes
 * numbers and strings and returns a string (`host('log', line)`, `host('fetch', id, request)`,
 * `host('timer', id, delay)`, `host('clear', id)`), and the guest configuration. It hardens the
 * global, installs `console`, `fetch`, `setTimeout` and `clearTimeout`, and returns
 * `install(namespace)`, which returns the dispatcher the worker calls (`run`, `settle` for a
 * fetch answer, `timer` when a timer is due), or the `typeof` of the default export when that
 * is not a function.
 *
 * The dispatcher's `run(inputJson, token)` returns one tagged string: `V<json>` a value
 * serialised inside the guest, `T<message>` the tool threw, `O<message>` the result is not
 * JSON, `L<length>` the serialised result is over `maxOutputBytes`; or `P` when the tool
 * returned a promise, whose tagged outcome arrives later as `host('done', token, tagged)`
 * (no promise ever crosses the boundary).
 * Every intrinsic it relies on is captured before tool code runs, so a tool that tampers with
 * its own globals can only spoil its own result, which the host validates again anyway.
 */
export const GUEST_RUNTIME_FILENAME = 'toolwright:guest-runtime.js';

export const GUEST_RUNTIME_SOURCE = String.raw`(function toolwrightGuestRuntime(host, configJson) {
  'use strict';
  const global = globalThis;
  const JSONParse = JSON.parse;
  const JSONStringify = JSON.stringify;
  const ReflectApply = Reflect.apply;
  const ReflectOwnKeys = Reflect.ownKeys;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectFreeze = Object.freeze;
  const ObjectCreate = Object.create;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const NumberIsFinite = Number.isFinite;
  const StringSlice = String.prototype.slice;
  const PromiseCtor = Promise;
  const PromiseThen = Promise.prototype.then;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const EvalErrorCtor = EvalError;
  const config = JSONParse(configJson);
  const MAX_MESSAGE = config.maxMessageLength;
  const MAX_LINE = config.maxLogLineLength;
  const MAX_OUTPUT = config.maxOutputBytes;

  const clip = (text, max) => (text.length > max ? ReflectApply(StringSlice, text, [0, max]) + '…' : text);

  // 1. Remove what tools never need and attackers use.
  const removed = ['SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'eval', 'console'];
  if (!config.allowWebAssembly) removed.push('WebAssembly');
  for (let index = 0; index < removed.length; index += 1) delete global[removed[index]];
  delete ErrorCtor.captureStackTrace;
  ObjectDefineProperty(ErrorCtor, 'prepareStackTrace', { value: undefined, writable: false, enumerable: false, configurable: false });

  // 1b. WebAssembly, when allowed: the asynchronous compile and instantiate never settle in an
  // isolate (their background tasks are never run), so they are done synchronously inside the
  // promise instead, under the run's deadline; the streaming variants need a Response, which
  // the sandbox does not have, and say so.
  if (config.allowWebAssembly && global.WebAssembly !== null && typeof global.WebAssembly === 'object') {
    const Wasm = global.WebAssembly;
    const WasmModule = Wasm.Module;
    const WasmInstance = Wasm.Instance;
    const define = (name, value) => ObjectDefineProperty(Wasm, name, { value: ObjectFreeze(value), writable: true, enumerable: false, configurable: true });
    define('compile', function compile(bytes) {
      return new PromiseCtor((resolve) => resolve(new WasmModule(bytes)));
    });
    define('instantiate', function instantiate(source, imports) {
      return new PromiseCtor((resolve) => {
        if (source instanceof WasmModule) {
          resolve(new WasmInstance(source, imports));
          return;
        }
        const module = new WasmModule(source);
        resolve({ module: module, instance: new WasmInstance(module, imports) });
      });
    });
    const noStreaming = (name) =>
      function () {
        return new PromiseCtor((resolve, reject) =>
          reject(new TypeErrorCtor('WebAssembly.' + name + ' is not available in the Toolwright sandbox (there is no Response to stream from): pass the bytes to WebAssembly.instantiate(bytes) or WebAssembly.compile(bytes) instead.')),
        );
      };
    define('compileStreaming', noStreaming('compileStreaming'));
    define('instantiateStreaming', noStreaming('instantiateStreaming'));
  }

  // 2. No code generation from strings: every function constructor throws.
  const refuse = function Function() {
    throw new EvalErrorCtor('Code generation from strings is disabled in the Toolwright sandbox.');
  };
  const functionPrototypes = [
    Function.prototype,
    ObjectGetPrototypeOf(async function () {}),
    ObjectGetPrototypeOf(function* () {}),
    ObjectGetPrototypeOf(async function* () {}),
  ];
  ObjectDefineProperty(refuse, 'prototype', { value: Function.prototype, writable: false, enumerable: false, configurable: false });
  for (let index = 0; index < functionPrototypes.length; index += 1) {
    ObjectDefineProperty(functionPrototypes[index], 'constructor', { value: refuse, writable: false, enumerable: false, configurable: false });
  }
  ObjectDefineProperty(global, 'Function', { value: refuse, writable: false, enumerable: false, configurable: false });
  ObjectFreeze(refuse);

  // 3. console.*: formatted here, captured by the worker into the run's logs.
  const format = (value) => {
    switch (typeof value) {
      case 'string':
        return value;
      case 'function':
        return '[function]';
      case 'symbol':
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'undefined':
        return '' + (typeof value === 'symbol' ? 'Symbol()' : value);
      default:
        if (value === null) return 'null';
        try {
          const text = JSONStringify(value);
          return typeof text === 'string' ? text : '[unserialisable]';
        } catch {
          return '[unserialisable]';
        }
    }
  };
  const writer = (prefix) =>
    function () {
      let line = prefix;
      for (let index = 0; index < arguments.length; index += 1) {
        const part = format(arguments[index]);
        line += (index === 0 ? '' : ' ') + (typeof part === 'string' ? part : '');
        if (line.length > MAX_LINE) break;
      }
      host('log', clip(line, MAX_LINE));
    };
  const guestConsole = ObjectFreeze({
    log: writer(''),
    info: writer(''),
    debug: writer(''),
    warn: writer('warn: '),
    error: writer('error: '),
  });
  ObjectDefineProperty(global, 'console', { value: guestConsole, writable: true, enumerable: false, configurable: true });

  // 4. fetch: a request goes out as JSON text; the answer comes back through settle().
  let pending = ObjectCreate(null);
  let nextRequest = 0;
  const toRequest = (input, init) => {
    let url;
    if (typeof input === 'string') url = input;
    else if (input !== null && typeof input === 'object' && typeof input.href === 'string') url = input.href;
    else if (input !== null && typeof input === 'object' && typeof input.url === 'string') url = input.url;
    else throw new TypeErrorCtor('fetch(url, init): url must be a string.');
    const options = init === undefined || init === null ? {} : init;
    if (typeof options !== 'object') throw new TypeErrorCtor('fetch(url, init): init must be an object.');
    const method = options.method === undefined ? 'GET' : options.method;
    if (typeof method !== 'string') throw new TypeErrorCtor('fetch(url, init): init.method must be a string.');
    const headers = {};
    if (options.headers !== undefined && options.headers !== null) {
      if (typeof options.headers !== 'object') throw new TypeErrorCtor('fetch(url, init): init.headers must be a plain object of strings.');
      const names = ReflectOwnKeys(options.headers);
      for (let index = 0; index < names.length; index += 1) {
        const name = names[index];
        const value = options.headers[name];
        if (typeof name !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) {
          throw new TypeErrorCtor('fetch(url, init): init.headers must be a plain object of strings.');
        }
        ObjectDefineProperty(headers, name, { value: '' + value, enumerable: true, writable: true, configurable: true });
      }
    }
    const body = options.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new TypeErrorCtor('fetch(url, init): init.body must be a string (use JSON.stringify).');
    }
    return JSONStringify({ url: url, method: method, headers: headers, body: typeof body === 'string' ? body : null });
  };
  const makeResponse = (answer) => {
    const headers = {};
    const names = ReflectOwnKeys(answer.headers);
    for (let index = 0; index < names.length; index += 1) {
      ObjectDefineProperty(headers, names[index], { value: answer.headers[names[index]], enumerable: true, writable: false, configurable: false });
    }
    const body = answer.body;
    return ObjectFreeze({
      status: answer.status,
      statusText: answer.statusText,
      ok: answer.ok,
      url: answer.url,
      redirected: answer.redirected,
      headers: ObjectFreeze(headers),
      text: () => new PromiseCtor((resolve) => resolve(body)),
      json: () => new PromiseCtor((resolve) => resolve(JSONParse(body))),
    });
  };
  const guestFetch = function fetch(input, init) {
    return new PromiseCtor((resolve, reject) => {
      let request;
      try {
        request = toRequest(input, init);
      } catch (error) {
        reject(error);
        return;
      }
      nextRequest += 1;
      const id = nextRequest;
      const refusal = host('fetch', id, request);
      if (typeof refusal === 'string' && refusal !== '') {
        reject(new ErrorCtor(refusal));
        return;
      }
      pending[id] = { resolve: resolve, reject: reject };
    });
  };
  ObjectDefineProperty(global, 'fetch', { value: ObjectFreeze(guestFetch), writable: true, enumerable: false, configurable: true });
  const settle = (id, answerJson) => {
    const entry = pending[id];
    if (entry === undefined) return;
    delete pending[id];
    const answer = JSONParse(answerJson);
    if (typeof answer.error === 'string') entry.reject(new ErrorCtor(answer.error));
    else entry.resolve(makeResponse(answer));
  };

  // 5. Timers: the worker keeps the clock; a due timer comes back through fire().
  let timers = ObjectCreate(null);
  let nextTimer = 0;
  const guestSetTimeout = function setTimeout(callback, delay) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('setTimeout(callback, delay): callback must be a function; strings are not code in the sandbox.');
    }
    const extra = [];
    for (let index = 2; index < arguments.length; index += 1) extra[index - 2] = arguments[index];
    let milliseconds = delay === undefined ? 0 : +delay;
    if (!(milliseconds >= 0)) milliseconds = 0;
    nextTimer += 1;
    const id = nextTimer;
    const refusal = host('timer', id, milliseconds);
    if (typeof refusal === 'string' && refusal !== '') throw new ErrorCtor(refusal);
    timers[id] = { callback: callback, args: extra };
    return id;
  };
  const guestClearTimeout = function clearTimeout(id) {
    if (typeof id !== 'number' || timers[id] === undefined) return;
    delete timers[id];
    host('clear', id);
  };
  ObjectDefineProperty(global, 'setTimeout', { value: ObjectFreeze(guestSetTimeout), writable: true, enumerable: false, configurable: true });
  ObjectDefineProperty(global, 'clearTimeout', { value: ObjectFreeze(guestClearTimeout), writable: true, enumerable: false, configurable: true });
  const fire = (id) => {
    const entry = timers[id];
    if (entry === undefined) return;
    delete timers[id];
    try {
      ReflectApply(entry.callback, undefined, entry.args);
    } catch (error) {
      host('log', clip('error: a setTimeout callback threw: ' + describe(error), MAX_LINE));
    }
  };

  // 6. Running the tool: the result is serialised here, inside the guest and its deadline.
  const describe = (thrown) => {
    try {
      if (thrown !== null && (typeof thrown === 'object' || typeof thrown === 'function')) {
        const message = thrown.message;
        const name = thrown.name;
        if (typeof message === 'string') {
          return clip((typeof name === 'string' && name !== '' ? name + ': ' : '') + message, MAX_MESSAGE);
        }
        return 'a non-Error object was thrown';
      }
      return clip('a non-Error value was thrown: ' + (typeof thrown === 'symbol' ? 'Symbol()' : '' + thrown), MAX_MESSAGE);
    } catch {
      return 'a value was thrown whose message could not be read';
    }
  };
  let atRoot = false;
  const replacer = function (key, value) {
    const root = atRoot;
    atRoot = false;
    switch (typeof value) {
      case 'function':
        throw new TypeErrorCtor('the result holds a function' + (key === '' ? '' : ' at key "' + clip(key, 100) + '"'));
      case 'symbol':
        throw new TypeErrorCtor('the result holds a symbol' + (key === '' ? '' : ' at key "' + clip(key, 100) + '"'));
      case 'bigint':
        throw new TypeErrorCtor('the result holds a bigint' + (key === '' ? '' : ' at key "' + clip(key, 100) + '"'));
      case 'number':
        if (!NumberIsFinite(value)) {
          throw new TypeErrorCtor('the result holds ' + value + (key === '' ? '' : ' at key "' + clip(key, 100) + '"') + ', which JSON cannot represent');
        }
        return value;
      case 'undefined':
        if (root) throw new TypeErrorCtor('the tool returned undefined');
        return value;
      default:
        return value;
    }
  };
  const encode = (value) => {
    let json;
    try {
      atRoot = true;
      json = JSONStringify(value, replacer);
    } catch (error) {
      return 'O' + describe(error);
    }
    if (typeof json !== 'string') return 'O' + 'the tool returned undefined';
    if (json.length > MAX_OUTPUT) return 'L' + json.length;
    return 'V' + json;
  };
  let tool;
  const run = (inputJson, token) => {
    pending = ObjectCreate(null);
    timers = ObjectCreate(null);
    let input;
    try {
      input = JSONParse(inputJson);
    } catch (error) {
      return 'T' + describe(error);
    }
    let result;
    try {
      result = tool(input);
    } catch (error) {
      return 'T' + describe(error);
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
      let then;
      try {
        then = result.then;
      } catch (error) {
        return 'T' + describe(error);
      }
      if (typeof then === 'function') {
        const adopted = new PromiseCtor((adopt) => adopt(result));
        ReflectApply(PromiseThen, adopted, [
          (value) => host('done', token, encode(value)),
          (error) => host('done', token, 'T' + describe(error)),
        ]);
        return 'P';
      }
    }
    return encode(result);
  };
  const dispatch = function (kind, first, second) {
    if (kind === 'run') return run(first, second);
    if (kind === 'settle') settle(first, second);
    else if (kind === 'timer') fire(first);
    return '';
  };
  return function install(namespace) {
    const candidate = namespace.default;
    if (typeof candidate !== 'function') return candidate === null ? 'null' : typeof candidate;
    tool = candidate;
    return dispatch;
  };
})`;
