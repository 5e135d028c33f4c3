/**
 * The XGBoost shared library: where to find it and its C API bound through koffi.
 *
 * Koffi 3 represents every pointer as a BigInt, so XGBoost handles are plain `bigint`s here;
 * the C types are not checked at run time, which is why the engine wraps every call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
// koffi ships ESM typings only; the CommonJS build (index.cjs) has the same shape.
import type { LibraryHandle } from 'koffi' with { 'resolution-mode': 'import' };
import { logger } from '../common/logger';

export const NATIVE_INSTALL_HINT =
  'Install it with `apt-get install libxgboost0` (Debian/Ubuntu) or `pip install xgboost`, ' +
  'or point XGBOOST_LIBRARY_PATH at a libxgboost shared library.';

/** Oldest version with the JSON model buffer, XGBoosterPredictFromDMatrix and XGBoosterPredictFromDense APIs used here. */
const MIN_VERSION: readonly [number, number] = [1, 6];

export interface NativeLibraryInfo {
  path: string;
  version: string;
}

export interface NativeLibraryProbe {
  found?: NativeLibraryInfo;
  /** Candidates that exist but could not be used, with the reason. */
  rejected: Array<{ path: string; reason: string }>;
}

/** An opaque DMatrixHandle or BoosterHandle. */
export type Handle = bigint;

/** The subset of the XGBoost C API the native engine uses; every `int` result is 0 on success, -1 on failure. */
export interface XGBoostApi {
  XGBoostVersion(major: number[], minor: number[], patch: number[]): void;
  XGBGetLastError(): string;
  XGDMatrixCreateFromMat_omp(
    data: Float32Array,
    nrow: number,
    ncol: number,
    missing: number,
    out: Array<Handle | null>,
    nthread: number,
  ): number;
  XGDMatrixSetFloatInfo(handle: Handle, field: string, array: Float32Array, len: number): number;
  XGDMatrixFree(handle: Handle): number;
  XGBoosterCreate(dmats: Handle[], len: number, out: Array<Handle | null>): number;
  XGBoosterFree(handle: Handle): number;
  XGBoosterSetParam(handle: Handle, name: string, value: string): number;
  XGBoosterUpdateOneIter(handle: Handle, iter: number, dtrain: Handle): number;
  XGBoosterEvalOneIter(
    handle: Handle,
    iter: number,
    dmats: Handle[],
    names: string[],
    len: number,
    out: Array<string | null>,
  ): number;
  XGBoosterBoostedRounds(handle: Handle, out: number[]): number;
  XGBoosterSlice(handle: Handle, begin: number, end: number, step: number, out: Array<Handle | null>): number;
  XGBoosterPredictFromDMatrix(
    handle: Handle,
    dmat: Handle,
    config: string,
    outShape: Array<bigint | null>,
    outDim: number[],
    outResult: Array<bigint | null>,
  ): number;
  /** In-place prediction: XGBoost reads the rows where they are (an array interface), no DMatrix copy. */
  XGBoosterPredictFromDense(
    handle: Handle,
    arrayInterface: string,
    config: string,
    proxy: null,
    outShape: Array<bigint | null>,
    outDim: number[],
    outResult: Array<bigint | null>,
  ): number;
  XGBoosterSaveModelToBuffer(
    handle: Handle,
    config: string,
    outLen: number[],
    outData: Array<bigint | null>,
  ): number;
  XGBoosterLoadModelFromBuffer(handle: Handle, buf: Uint8Array, len: number): number;
}

export interface XGBoostLibrary {
  readonly path: string;
  readonly version: string;
  readonly api: XGBoostApi;
  /** Throws an Error carrying XGBGetLastError() when `rc` is not 0. */
  check(rc: number, what: string): void;
  /** Copies `count` floats from library-owned memory (valid only until the next call on the same handle). */
  copyFloats(pointer: bigint, count: number): Float32Array;
  copyBytes(pointer: bigint, count: number): Buffer;
  copyUint64s(pointer: bigint, count: number): number[];
  /** The native address of a typed array's first element (its byteOffset included), for XGBoost's array interface. */
  addressOf(data: Float32Array): bigint;
  /** Present when the library can build a QuantileDMatrix from a callback (XGBoost >= 1.7). */
  readonly quantile?: QuantileDMatrixSupport;
}

/** The C API that builds a QuantileDMatrix: XGBoost reads the rows through a proxy and keeps only their histogram bins. */
export interface QuantileDMatrixApi {
  XGProxyDMatrixCreate(out: Array<Handle | null>): number;
  XGProxyDMatrixSetDataDense(handle: Handle, arrayInterface: string): number;
  XGQuantileDMatrixCreateFromCallback(
    iter: null,
    proxy: Handle,
    ref: Handle | null,
    reset: bigint,
    next: bigint,
    config: string,
    out: Array<Handle | null>,
  ): number;
}

export interface QuantileDMatrixSupport {
  readonly api: QuantileDMatrixApi;
  /**
   * Calls `create` with the reset and next callbacks of a one-batch iterator: the first `next` after each reset
   * runs `feed` (which sets the proxy's data) and reports a batch, the second reports the end. An error thrown
   * by `feed` ends the iteration and is rethrown once `create` returns.
   */
  withSingleBatch(feed: () => void, create: (reset: bigint, next: bigint) => number): number;
}

const PROTOTYPES: Record<keyof XGBoostApi, string> = {
  XGBoostVersion: 'void XGBoostVersion(_Out_ int *major, _Out_ int *minor, _Out_ int *patch)',
  XGBGetLastError: 'const char *XGBGetLastError()',
  XGDMatrixCreateFromMat_omp:
    'int XGDMatrixCreateFromMat_omp(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ void **out, int nthread)',
  XGDMatrixSetFloatInfo:
    'int XGDMatrixSetFloatInfo(void *handle, const char *field, const float *array, uint64_t len)',
  XGDMatrixFree: 'int XGDMatrixFree(void *handle)',
  XGBoosterCreate: 'int XGBoosterCreate(void **dmats, uint64_t len, _Out_ void **out)',
  XGBoosterFree: 'int XGBoosterFree(void *handle)',
  XGBoosterSetParam: 'int XGBoosterSetParam(void *handle, const char *name, const char *value)',
  XGBoosterUpdateOneIter: 'int XGBoosterUpdateOneIter(void *handle, int iter, void *dtrain)',
  XGBoosterEvalOneIter:
    'int XGBoosterEvalOneIter(void *handle, int iter, void **dmats, const char **names, uint64_t len, _Out_ const char **out)',
  XGBoosterBoostedRounds: 'int XGBoosterBoostedRounds(void *handle, _Out_ int *out)',
  XGBoosterSlice:
    'int XGBoosterSlice(void *handle, int begin_layer, int end_layer, int step, _Out_ void **out)',
  XGBoosterPredictFromDMatrix:
    'int XGBoosterPredictFromDMatrix(void *handle, void *dmat, const char *config, _Out_ void **out_shape, _Out_ uint64_t *out_dim, _Out_ void **out_result)',
  XGBoosterPredictFromDense:
    'int XGBoosterPredictFromDense(void *handle, const char *values, const char *config, void *m, _Out_ void **out_shape, _Out_ uint64_t *out_dim, _Out_ void **out_result)',
  XGBoosterSaveModelToBuffer:
    'int XGBoosterSaveModelToBuffer(void *handle, const char *config, _Out_ uint64_t *out_len, _Out_ void **out_dptr)',
  XGBoosterLoadModelFromBuffer:
    'int XGBoosterLoadModelFromBuffer(void *handle, const void *buf, uint64_t len)',
};

const QUANTILE_PROTOTYPES: Record<
  Exclude<keyof QuantileDMatrixApi, 'XGQuantileDMatrixCreateFromCallback'>,
  string
> = {
  XGProxyDMatrixCreate: 'int XGProxyDMatrixCreate(_Out_ void **out)',
  XGProxyDMatrixSetDataDense: 'int XGProxyDMatrixSetDataDense(void *handle, const char *array_interface)',
};

// Per thread (module state is per worker thread): dlopen is reference counted, bindings are reused.
const opened = new Map<string, XGBoostLibrary>();

/** Loads and binds the library at `libraryPath` (cached); throws if it cannot be loaded or is too old. */
export function openXGBoostLibrary(libraryPath: string): XGBoostLibrary {
  const cached = opened.get(libraryPath);
  if (cached) return cached;
  // Required lazily so that importing this module (e.g. for the install hint) never loads native code.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof import('koffi', { with: { 'resolution-mode': 'import' } });
  let lib: LibraryHandle;
  try {
    lib = koffi.load(libraryPath);
  } catch (err) {
    throw new Error(`Cannot load XGBoost library ${libraryPath}: ${(err as Error).message}`, { cause: err });
  }
  const api = {} as Record<string, unknown>;
  for (const [name, prototype] of Object.entries(PROTOTYPES)) {
    try {
      api[name] = lib.func(prototype);
    } catch (err) {
      lib.unload();
      throw new Error(
        `${libraryPath} lacks ${name} (${(err as Error).message}); XGBoost >= ${MIN_VERSION.join('.')} is required`,
        { cause: err },
      );
    }
  }
  const bound = api as unknown as XGBoostApi;
  routeLogToLogger(koffi, lib);
  const version = readVersion(bound);
  if (compareVersion(version, MIN_VERSION) < 0) {
    lib.unload();
    throw new Error(`${libraryPath} is XGBoost ${version}; XGBoost >= ${MIN_VERSION.join('.')} is required`);
  }
  const quantile = bindQuantileDMatrix(koffi, lib);
  const library: XGBoostLibrary = {
    path: libraryPath,
    version,
    api: bound,
    check(rc, what) {
      if (rc !== 0) throw new Error(`XGBoost ${what} failed: ${firstLines(bound.XGBGetLastError())}`);
    },
    // koffi.view() aliases native memory; slice() takes the copy before XGBoost reuses its buffer.
    copyFloats: (pointer, count) => new Float32Array(koffi.view(pointer, count * 4).slice(0)),
    copyBytes: (pointer, count) => Buffer.from(koffi.view(pointer, count).slice(0)),
    copyUint64s: (pointer, count) =>
      Array.from(new BigUint64Array(koffi.view(pointer, count * 8).slice(0)), (value) => Number(value)),
    addressOf: (data) => koffi.address(data),
    quantile,
  };
  opened.set(libraryPath, library);
  return library;
}

type Koffi = typeof import('koffi', { with: { 'resolution-mode': 'import' } });
const xgboostLog = logger.child({ component: 'xgboost' });
/** Registered callbacks stay referenced: the library calls them for as long as the thread lives. */
const logCallbacks: unknown[] = [];

/**
 * Sends XGBoost's own log lines (e.g. "Tree method is selected to be 'hist'") to the project's logger at
 * debug level instead of the library printing them on stderr. The registry is per thread in XGBoost, as the
 * library binding is here.
 */
function routeLogToLogger(koffi: Koffi, lib: LibraryHandle): void {
  try {
    const callbackType = koffi.pointer(koffi.proto(null, 'void', ['const char *']));
    const register = lib.func('XGBRegisterLogCallback', 'int', [callbackType]) as (cb: unknown) => number;
    const callback = koffi.register((message: string) => xgboostLog.debug(message.trim()), callbackType);
    logCallbacks.push(callback);
    if (register(callback) !== 0) throw new Error('it returned an error');
  } catch (err) {
    xgboostLog.debug(`XGBRegisterLogCallback failed (${(err as Error).message}); XGBoost logs to stderr`);
  }
}

/** Callbacks registered for the one-batch iterators; kept referenced, like the log callback. */
const iteratorCallbacks: unknown[] = [];

/** One QuantileDMatrix being built: its batch's feed, whether XGBoost has had it since the last reset. */
interface SingleBatchIteration {
  feed: () => void;
  given: boolean;
  error?: unknown;
}

/** Binds the QuantileDMatrix functions, or returns undefined when the library lacks them (XGBoost 1.6). */
function bindQuantileDMatrix(koffi: Koffi, lib: LibraryHandle): QuantileDMatrixSupport | undefined {
  let api: QuantileDMatrixApi;
  const reset = koffi.pointer(koffi.proto('void XGBoostDataIterReset(void *iter)'));
  const next = koffi.pointer(koffi.proto('int XGBoostDataIterNext(void *iter)'));
  try {
    const bound: Record<string, unknown> = {};
    for (const [name, prototype] of Object.entries(QUANTILE_PROTOTYPES)) bound[name] = lib.func(prototype);
    bound.XGQuantileDMatrixCreateFromCallback = lib.func('XGQuantileDMatrixCreateFromCallback', 'int', [
      'void *',
      'void *',
      'void *',
      reset,
      next,
      'const char *',
      koffi.out(koffi.pointer('void *')),
    ]);
    api = bound as unknown as QuantileDMatrixApi;
  } catch (err) {
    xgboostLog.debug(
      `no QuantileDMatrix (${(err as Error).message}); training copies its rows into a DMatrix`,
    );
    return undefined;
  }
  // One iteration at a time per thread: XGBoost calls back synchronously, inside the create call.
  let current: SingleBatchIteration | undefined;
  const resetCallback = koffi.register(() => {
    if (current) current.given = false;
  }, reset);
  const nextCallback = koffi.register((): number => {
    const iteration = current;
    if (!iteration || iteration.given || iteration.error !== undefined) return 0;
    iteration.given = true;
    try {
      iteration.feed();
      return 1;
    } catch (err) {
      iteration.error = err;
      return 0;
    }
  }, next);
  iteratorCallbacks.push(resetCallback, nextCallback);
  return {
    api,
    withSingleBatch(feed, create) {
      if (current) throw new Error('A QuantileDMatrix is already being built on this thread');
      const iteration: SingleBatchIteration = { feed, given: false };
      current = iteration;
      try {
        const rc = create(resetCallback, nextCallback);
        if (iteration.error !== undefined) throw iteration.error;
        return rc;
      } finally {
        current = undefined;
      }
    },
  };
}

function readVersion(api: XGBoostApi): string {
  const major = [0];
  const minor = [0];
  const patch = [0];
  api.XGBoostVersion(major, minor, patch);
  return `${major[0]}.${minor[0]}.${patch[0]}`;
}

function compareVersion(version: string, min: readonly [number, number]): number {
  const [major, minor] = version.split('.').map(Number);
  return major !== min[0] ? major - min[0] : minor - min[1];
}

/** XGBoost errors carry a native stack trace after the message; keep only the message. */
function firstLines(message: string): string {
  const cut = message.indexOf('\nStack trace:');
  return (cut >= 0 ? message.slice(0, cut) : message).trim() || '(no error text)';
}

/**
 * Candidate library paths, most preferred first; lazy, so the Python interpreters are only asked when the
 * system library is missing. An explicit XGBOOST_LIBRARY_PATH is the only candidate.
 */
export function* nativeLibraryCandidates(env: NodeJS.ProcessEnv = process.env): Generator<string> {
  const explicit = env.XGBOOST_LIBRARY_PATH?.trim();
  if (explicit) {
    yield explicit;
    return;
  }
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const seen = new Set<string>();
  const system = [
    `/usr/lib/${multiarch}/libxgboost.so.0`,
    `/usr/lib/${multiarch}/libxgboost.so`,
    '/usr/lib/libxgboost.so.0',
    '/usr/local/lib/libxgboost.so',
  ];
  for (const candidate of system) {
    if (!existsSync(candidate)) continue;
    yield candidate;
    seen.add(realpathSync(candidate));
  }
  if (seen.size === 0 && process.platform === 'linux' && hasLdconfigEntry('libxgboost.so.0')) {
    // A bare soname goes through the dynamic loader's search (ldconfig cache, LD_LIBRARY_PATH).
    yield 'libxgboost.so.0';
  }
  // Debian's python3-xgboost links back to the system library; skip what was already offered.
  for (const candidate of pythonWheelLibraries()) {
    const real = realpathSync(candidate);
    if (!seen.has(real)) yield candidate;
    seen.add(real);
  }
}

function hasLdconfigEntry(soname: string): boolean {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const result = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5_000 });
    if (result.status === 0) return result.stdout.includes(`${soname} `);
  }
  return false;
}

/** Finds the libxgboost shipped inside an installed Python xgboost package. */
function pythonWheelLibraries(): string[] {
  const libName = process.platform === 'darwin' ? 'libxgboost.dylib' : 'libxgboost.so';
  // find_spec locates the package without importing it (importing xgboost takes seconds).
  const script =
    'import importlib.util as u; s = u.find_spec("xgboost"); print(s.submodule_search_locations[0] if s else "")';
  const found: string[] = [];
  for (const python of ['python3', '/usr/bin/python3', '/usr/local/bin/python3']) {
    const result = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 10_000 });
    const packageDir = result.status === 0 ? result.stdout.trim() : '';
    const candidate = packageDir && path.join(packageDir, 'lib', libName);
    if (candidate && existsSync(candidate) && !found.includes(candidate)) found.push(candidate);
  }
  return found;
}

let probed: NativeLibraryProbe | undefined;

/** Tries the candidates in order and reports the first usable one (cached per thread). */
export function probeNativeLibrary(): NativeLibraryProbe {
  if (probed) return probed;
  const rejected: NativeLibraryProbe['rejected'] = [];
  for (const candidate of nativeLibraryCandidates()) {
    try {
      const library = openXGBoostLibrary(candidate);
      probed = { found: { path: candidate, version: library.version }, rejected };
      return probed;
    } catch (err) {
      rejected.push({ path: candidate, reason: (err as Error).message });
    }
  }
  probed = { rejected };
  return probed;
}

export function findNativeLibrary(): NativeLibraryInfo | undefined {
  return probeNativeLibrary().found;
}
