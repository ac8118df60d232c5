import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { STUDENT_POLICY_FILE } from '../../shared/model-format.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { exportAgents } from '../../agents/export/export-agent.ts';
import { exportPolicy } from '../../agents/export/export-policy.ts';
import { compileHarness, harnessInput } from '../../agents/export/c-harness.ts';
import { sampleObservations } from '../../agents/export/sample-observations.ts';
import { maxRelativeError, runHarness, runtimeReference, tempDir } from './helpers.ts';

ort.env.wasm.numThreads = 1;
const dir = tempDir('shipped');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const students = readdirSync('models').filter((m) => existsSync(join('models', m, STUDENT_POLICY_FILE))).sort();

/** Every shipped student's last agent (MMM's last is the one with a smaller view): C to the bit, ONNX to float32 rounding, on 200 observations. */
describe('every shipped student exports', () => {
  it.each(students)('%s', async (model) => {
    const policy = join('models', model, STUDENT_POLICY_FILE);
    const file = loadPolicyFile(policy);
    const a = exportAgents(file, policy).at(-1)!;
    const sample = sampleObservations(file, a, 200, 11);
    const ref = runtimeReference(file, a, sample);
    const c = join(dir, `${model}-c`);
    exportPolicy({ policy, format: 'c', out: c, agent: a.agent });
    const fromC = runHarness(compileHarness(c, a, 'check'), harnessInput(a, sample.observations, sample.masks, sample.episodeStarts), sample.count, a.actionCount);
    expect(fromC.logits).toEqual(ref.logits);
    expect(fromC.actions).toEqual(ref.actions);
    const onnx = join(dir, `${model}-onnx`);
    exportPolicy({ policy, format: 'onnx', out: onnx, agent: a.agent });
    const session = await ort.InferenceSession.create(readFileSync(join(onnx, `${a.ident}.onnx`)));
    const r = await session.run({
      observation: new ort.Tensor('float32', sample.observations, [sample.count, a.observationSize]),
      mask: new ort.Tensor('float32', Float32Array.from(sample.masks), [sample.count, a.actionCount]),
    });
    expect(maxRelativeError(r.logits.data as Float32Array, ref.logits)).toBeLessThanOrEqual(3e-5);
  });
});
