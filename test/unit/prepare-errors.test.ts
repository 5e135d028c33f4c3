import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { createActivities } from '../../src/activities';
import type { TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { PrepareDatasetInput } from '../../src/contracts';
import { tempDir } from '../support/temp-dir';

const HEADER =
  'holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,date_time,traffic_volume';

function activitiesIn(dir: string) {
  const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
  return createActivities({
    artifacts,
    registry: new ModelRegistry(artifacts),
    openDataStore: (uri) => openBlobStore(uri),
    pool: {} as TrialPool, // preparing never trains
  });
}

async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await run();
  } catch (err) {
    expect(err).to.be.instanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

describe('prepareDataset errors that no retry can fix', () => {
  const dir = tempDir('prepare-errors');
  const input = (dataUri: string): PrepareDatasetInput => ({
    dataUri,
    filePrefix: 'T',
    years: [2015, 2016],
    validationYear: 2016,
    schema: {
      featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
      dateTimeColumn: 'date_time',
      targetColumn: 'traffic_volume',
    },
  });

  it('names the file whose every row is malformed, with the count and the first problem', async () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(
      path.join(data, 'T_2015.csv'),
      `${HEADER}\nNone,280,0,0,40,Clouds,x,2015-03-01 09:00:00,5000\n`,
    );
    const bad = Array.from(
      { length: 1203 },
      (_, i) => `None,warm,0,0,40,Clouds,x,2016-01-01 ${String(i % 24).padStart(2, '0')}:00:00,1`,
    );
    fs.writeFileSync(path.join(data, 'T_2016.csv'), `${HEADER}\n${bad.join('\n')}\n`);
    const failure = await failureOf(() =>
      new MockActivityEnvironment().run(activitiesIn(dir).prepareDataset, input(`file://${data}`)),
    );
    expect(failure.nonRetryable).to.equal(true);
    expect(failure.message).to.match(
      /^every row of T_2016\.csv was malformed: 1,203 rows, e\.g\. line 2: .*temp/,
    );
  });

  it('fails at once, without retries, on a data URI no store can open', async () => {
    const failure = await failureOf(() =>
      new MockActivityEnvironment().run(activitiesIn(dir).prepareDataset, input('/tmp/x')),
    );
    expect(failure.nonRetryable).to.equal(true);
    expect(failure.message).to.contain('unsupported storage URI "/tmp/x"');
  });
});
