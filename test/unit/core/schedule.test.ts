import * as assert from 'node:assert/strict';
import { CATCH_UP_DELAY_MS, nextRunTime, systemdUnits, timerMinutes } from '../../../src/core/schedule';
import { defaultSettings } from '../../../src/core/settings';

const MIN = 60_000;
describe('schedule', function () {
  const s = { intervalMinutes: 120, firstRunDelayMinutes: 10 };
  const start = Date.parse('2026-11-25T08:00:00Z');

  it('first run a while after start-up, then every interval, plus jitter', function () {
    assert.equal(nextRunTime(s, start, start, undefined, 0), start + 10 * MIN);
    assert.equal(nextRunTime(s, start, start, undefined, 5000), start + 10 * MIN + 5000);
    assert.equal(nextRunTime(s, start + 30 * MIN, start, start + 20 * MIN, 0), start + 140 * MIN);
  });

  it('catches up a run missed while closed, soon after start-up but not at once', function () {
    const last = start - 5 * 60 * MIN; // 5 h ago: one run missed
    assert.equal(nextRunTime(s, start, start, last, 0), start + CATCH_UP_DELAY_MS);
  });

  it('systemd units quote arguments and carry the schedule', function () {
    const sched = { ...defaultSettings().schedule, intervalMinutes: 90, jitterSeconds: 30 };
    const u = systemdUnits({ node: '/usr/bin/node', cli: '/opt/wb/dist/cli.js', configFile: '/etc/wb/my config $HOME %h.json', schedule: sched, maxRuntimeMinutes: 120 });
    assert.match(u.service, /^ExecStart=\/usr\/bin\/node \/opt\/wb\/dist\/cli\.js run --yes --scheduled --origin timer --config "\/etc\/wb\/my config \$\$HOME %%h\.json"$/m);
    assert.match(u.service, /TimeoutStartSec=135min/);
    assert.match(u.timer, /OnUnitActiveSec=90min/);
    assert.match(u.timer, /OnBootSec=10min/);
    assert.doesNotMatch(u.timer, /Persistent=/, 'Persistent= is for OnCalendar= timers only');
    assert.match(u.timer, /RandomizedDelaySec=30/);
  });

  it('adaptive mode fires the timer every scan interval (each firing decides), interval mode every run interval', function () {
    const sched = { ...defaultSettings().schedule, intervalMinutes: 120, scanMinutes: 5 };
    assert.equal(timerMinutes(sched), 120);
    assert.equal(timerMinutes({ ...sched, mode: 'adaptive' }), 5);
    const u = systemdUnits({ node: '/usr/bin/node', cli: '/opt/wb/dist/cli.js', schedule: { ...sched, mode: 'adaptive' }, maxRuntimeMinutes: 120 });
    assert.match(u.timer, /OnUnitActiveSec=5min/);
    assert.match(u.service, /run --yes --scheduled --origin timer$/m, 'the run knows it was the timer: it applies the adaptive decision');
  });
});
