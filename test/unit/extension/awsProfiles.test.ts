import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMON_REGIONS, listAwsProfiles, parseProfileNames } from '../../../src/extension/awsProfiles';

describe('extension/awsProfiles', function () {
  it('reads profile names from ~/.aws/config ([profile x], [default]) and credentials ([x]), never other sections', function () {
    const config = '[default]\nregion = us-east-1\n[profile dev]\nsso_session = corp\n[sso-session corp]\nsso_region = eu-west-1\n[services local]\n  [ profile  ops ]  \n';
    assert.deepEqual(parseProfileNames(config, true), ['default', 'dev', 'ops']);
    assert.deepEqual(parseProfileNames('[default]\naws_access_key_id = AKIA...\n[ci]\n', false), ['default', 'ci']);
  });

  it('lists the union, sorted, from the files the SDK reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), and copes with none', async function () {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-aws-'));
    try {
      const config = path.join(dir, 'config');
      const creds = path.join(dir, 'credentials');
      await fs.writeFile(config, '[profile prod]\n[default]\n');
      await fs.writeFile(creds, '[default]\n[ci]\n');
      assert.deepEqual(await listAwsProfiles({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: creds }), ['ci', 'default', 'prod']);
      assert.deepEqual(await listAwsProfiles({ AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none2') }), []);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    assert.ok(COMMON_REGIONS.includes('us-east-1'));
  });
});
