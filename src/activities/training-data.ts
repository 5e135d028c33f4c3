import type { ModelRegistry } from '../registry/model-registry';
import type { DescribeTrainingDataInput, TrainingDataDescription } from '../contracts';
import { nonRetryable } from './errors';
import { datasetHash } from './prepare';
import { CHAMPION } from './register';

export interface TrainingDataDeps {
  registry: ModelRegistry;
}

/**
 * The prepared-set hash a training of these years would get (from the bytes the check read), and the
 * champion's: equal hashes mean the champion was trained on exactly this data.
 */
export async function describeTrainingDataWith(
  deps: TrainingDataDeps,
  input: DescribeTrainingDataInput,
): Promise<TrainingDataDescription> {
  const sources = input.years.map((year) => {
    const object = input.objects.find((o) => o.year === year);
    if (!object?.sha256) {
      throw nonRetryable('InvalidInput', `year ${year} was not read by the inspection of ${input.dataUri}`);
    }
    return object;
  });
  const hash = datasetHash(input, sources);
  const alias = await deps.registry.getAlias(input.modelName, CHAMPION);
  if (!alias) return { datasetHash: hash };
  const champion = await deps.registry.resolve(input.modelName, alias.version);
  return { datasetHash: hash, champion: { version: champion.version, datasetHash: champion.datasetHash } };
}
