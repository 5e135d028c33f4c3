/** Chooses between the native and the wasm engine. */
import type { EngineChoice, EngineName } from '../contracts/domain';
import type { Engine } from './engine';
import { loadNativeEngine } from './native-engine';
import { NATIVE_INSTALL_HINT, probeNativeLibrary } from './native-library';
import { WASM_ENGINE_VERSION, loadWasmEngine } from './wasm-engine';

/**
 * The engine `choice` stands for, without loading wasm: safe and cheap in the main thread (the native library
 * probe runs once per thread). Throws when `native` is asked for and the library is missing.
 */
export function resolveEngineName(choice: EngineChoice): EngineName {
  if (choice === 'wasm') return 'wasm';
  const probe = probeNativeLibrary();
  if (probe.found) return 'native';
  if (choice === 'auto') return 'wasm';
  const tried = probe.rejected.map((r) => `\n  ${r.path}: ${r.reason}`).join('');
  throw new Error(
    `Engine "native" was requested but no usable XGBoost library was found. ${NATIVE_INSTALL_HINT}${tried}`,
  );
}

/** Loads the engine for `choice`. A wasm result may only be asked for inside a worker thread (see wasm-engine.ts). */
export async function resolveEngine(choice: EngineChoice): Promise<Engine> {
  const name = resolveEngineName(choice);
  return name === 'native' ? loadNativeEngine(probeNativeLibrary().found?.path) : loadWasmEngine();
}

/** One line for startup logs, e.g. "native XGBoost 1.7.4 at /usr/lib/...; wasm 0.7-wasm (ml-xgboost 1.1.2)". */
export function describeEngineAvailability(): string {
  const probe = probeNativeLibrary();
  const native = probe.found
    ? `native XGBoost ${probe.found.version} at ${probe.found.path}`
    : `native unavailable (${probe.rejected.length ? probe.rejected.map((r) => r.reason).join('; ') : 'no libxgboost found'})`;
  return `${native}; wasm ${WASM_ENGINE_VERSION} always available (worker threads only); auto = ${probe.found ? 'native' : 'wasm'}`;
}
