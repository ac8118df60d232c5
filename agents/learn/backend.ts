import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: BackendName | undefined;

/**
 * Choose the tfjs backend once per process: tfjs-node ('tensorflow') where its native binding
 * loads, else wasm, else cpu. Returns the name so callers can print it. Later calls return the
 * first choice (tfjs has one global engine).
 */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  if (chosen) return chosen;
  const order: BackendName[] = preferred ? [preferred] : ['tensorflow', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // Optional dependency: absent on most machines, so a missing module is the normal case.
        await import('@tensorflow/tfjs-node' as string);
      } else if (name === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const require = createRequire(import.meta.url);
        const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
        wasm.setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        chosen = name;
        return name;
      }
      failures.push(`${name}: setBackend returned false`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no tfjs backend could be initialised (${failures.join('; ')})`);
}

export function backendName(): string {
  return tf.getBackend();
}
