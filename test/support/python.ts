/**
 * The Python the tests run their Python packages with (moto): the project's test venv made by
 * scripts/setup-test-env.sh, never the system Python. WHISPER_BATCH_TEST_PYTHON overrides.
 * The in-editor tests run in code-server's extension host, whose PATH may find another python3
 * (Debian's, without moto): an absolute path avoids depending on PATH.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function testVenv(): string {
  return process.env.WHISPER_BATCH_TEST_VENV || path.join(os.homedir(), '.cache', 'whisper-batch', 'test-venv');
}

export function testPython(): string {
  const override = process.env.WHISPER_BATCH_TEST_PYTHON;
  if (override) return override;
  const venvPython = path.join(testVenv(), 'bin', 'python');
  if (!fs.existsSync(venvPython)) {
    throw new Error(`the test venv is missing (${venvPython}): run bash scripts/setup-test-env.sh (npm test does)`);
  }
  return venvPython;
}
