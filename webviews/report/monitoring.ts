/**
 * The Monitoring section of the report viewer: each target (src/core/monitoring.ts) with its value,
 * target, alert threshold and state. Data arrives by message and goes into the page as text only.
 */
import type { Monitoring } from '../../src/core/report/model';
import { h } from './dom';

const STATES = ['ok', 'warn', 'alert', 'unknown'];

/** The targets about GPU time and cost mean nothing when no run used the GPU (a local host). */
const GPU_METRICS = ['gpuRuntime', 'costPerDay'];

export function monitoringSection(m: Monitoring | undefined, gpu = true): HTMLElement {
  const sec = h('section', { class: 'monitoring', attrs: { 'aria-label': 'Monitoring' } }, h('h2', {}, 'Monitoring'));
  if (!m || !Array.isArray(m.metrics)) {
    sec.appendChild(h('p', { class: 'muted' }, 'No monitoring data.'));
    return sec;
  }
  const rows = m.metrics
    .filter((x) => gpu || !GPU_METRICS.includes(x.id))
    .map((x) => {
      const state = STATES.includes(x.state) ? x.state : 'unknown';
      return h(
        'tr',
        { class: `m-${state}` },
        h('th', { attrs: { scope: 'row' } }, String(x.label)),
        h('td', {}, h('span', { class: `badge m-badge m-${state}` }, state)),
        h('td', {}, String(x.detail)),
        h('td', {}, String(x.target)),
        h('td', {}, String(x.alert)),
      );
    });
  const head = h('tr', {}, ...['Metric', 'State', 'Now', 'Target', 'Alert'].map((t) => h('th', { attrs: { scope: 'col' } }, t)));
  sec.appendChild(h('table', { class: 'monitoring-table' }, h('thead', {}, head), h('tbody', {}, ...rows)));
  return sec;
}
