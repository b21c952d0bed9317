/**
 * Trends over runs (success rate, chunks, GPU minutes, cost; per run and per day), drawn with
 * chart.js in the theme's --vscode-* colours and redrawn when the theme changes.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import { ranOnGpu, type ReportSummary } from '../../src/core/report/model';
import { perDay, perRun, type Point } from './aggregate';
import { chartShape } from './chartShape';
import { h } from './dom';
import { pct, usd } from './format';
import { plural } from '../../src/core/plural';

Chart.register(BarController, LineController, BarElement, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

function themeColor(name: string, fallbackVar: string): string {
  const cs = getComputedStyle(document.body);
  return cs.getPropertyValue(name).trim() || cs.getPropertyValue(fallbackVar).trim() || cs.color;
}

function palette() {
  return {
    blue: themeColor('--vscode-charts-blue', '--vscode-textLink-foreground'),
    red: themeColor('--vscode-charts-red', '--vscode-errorForeground'),
    green: themeColor('--vscode-charts-green', '--vscode-charts-blue'),
    orange: themeColor('--vscode-charts-orange', '--vscode-charts-yellow'),
    purple: themeColor('--vscode-charts-purple', '--vscode-charts-blue'),
    fg: themeColor('--vscode-charts-foreground', '--vscode-foreground'),
    lines: themeColor('--vscode-charts-lines', '--vscode-panel-border'),
    font: themeColor('--vscode-font-family', '--vscode-editor-font-family'),
  };
}

type Kind = 'runs' | 'days';

export class TrendsView {
  readonly element: HTMLElement;
  private readonly charts: { chart: Chart; canvas: HTMLCanvasElement; points: Point[]; what: 'chunks' | 'cost'; kind: Kind }[] = [];
  private readonly observer: MutationObserver;

  constructor(reports: ReportSummary[]) {
    const runs = perRun(reports);
    const days = perDay(reports);
    const done = runs.reduce((n, p) => n + p.transcribed, 0);
    const failed = runs.reduce((n, p) => n + p.failed, 0);
    const cost = runs.reduce((n, p) => n + p.cost, 0);
    const minutes = runs.reduce((n, p) => n + p.gpuMinutes, 0);
    const card = (label: string, value: string) => h('div', { class: 'card', attrs: { 'data-card': label } }, h('dt', {}, label), h('dd', {}, value));
    // GPU time and cost only when a run used the GPU: on a local host they are all zero.
    const gpu = reports.some(ranOnGpu);

    this.element = h(
      'div',
      { class: 'trends' },
      h(
        'dl',
        { class: 'cards' },
        // The same points as the charts (aggregate.ts): cards and charts agree.
        card('Runs', String(runs.length)),
        card('Success rate', pct(done + failed ? (100 * done) / (done + failed) : null)),
        card('Chunks transcribed', String(done)),
        card('Chunks failed', String(failed)),
        gpu ? card('GPU time', `${minutes.toFixed(minutes < 10 ? 1 : 0)} min`) : null,
        gpu ? card('Cost', usd(cost)) : null,
        gpu ? card('Cost per 100 chunks', done ? usd((100 * cost) / done) : '—') : null,
      ),
    );
    if (reports.length === 0) {
      this.element.appendChild(h('p', { class: 'muted empty-state' }, 'No reports yet: trends appear after the first run. Start one with “Whisper Batch: Run Batch Now”.'));
    } else {
      this.addChart('Per run: chunks and success rate', 'chunks-run', 'runs', runs, 'chunks');
      if (gpu) this.addChart('Per run: GPU minutes and cost', 'cost-run', 'runs', runs, 'cost');
      this.addChart('Per day: chunks and success rate', 'chunks-day', 'days', days, 'chunks');
      if (gpu) this.addChart('Per day: GPU minutes and cost', 'cost-day', 'days', days, 'cost');
    }
    // VS Code swaps the body class and the --vscode-* variables on <html> when the theme changes.
    this.observer = new MutationObserver(() => this.recolor());
    this.observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  }

  dispose(): void {
    this.observer.disconnect();
    for (const c of this.charts) c.chart.destroy();
  }

  private addChart(title: string, id: string, kind: Kind, points: Point[], what: 'chunks' | 'cost'): void {
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `${title}: ${describe(points, what)}`, 'data-chart': id } });
    const figure = h('figure', { class: 'chart' }, h('figcaption', {}, title), h('div', { class: 'chart-box' }, canvas));
    this.element.appendChild(figure);
    // Charts are created once the canvas is in the document (chart.js measures its parent).
    queueMicrotask(() => {
      if (!canvas.isConnected) return;
      this.charts.push({ chart: new Chart(canvas, config(points, what, kind)), canvas, points, what, kind });
    });
  }

  /** Rebuilds the charts with the new theme's colours (4 small charts: cheaper than patching options). */
  private recolor(): void {
    for (const c of this.charts) {
      c.chart.destroy();
      c.chart = new Chart(c.canvas, config(c.points, c.what, c.kind));
    }
  }
}

function describe(points: Point[], what: 'chunks' | 'cost'): string {
  if (!points.length) return 'no data';
  const last = points[points.length - 1];
  return what === 'chunks'
    ? `${points.length} points; latest ${last.label}: ${last.transcribed} transcribed, ${last.failed} failed, success ${pct(last.successRate)}`
    : `${points.length} points; latest ${last.label}: ${last.gpuMinutes.toFixed(1)} GPU minutes, ${usd(last.cost)}`;
}

function config(points: Point[], what: 'chunks' | 'cost', kind: Kind): ChartConfiguration {
  const labels = points.map((p) => p.label);
  const s = chartShape(points.length, kind);
  const cfg: ChartConfiguration =
    what === 'chunks'
      ? {
          type: 'bar',
          data: {
            labels,
            datasets: [
              { ...s.bar, label: 'Transcribed', data: points.map((p) => p.transcribed), stack: s.single ? 't' : 'c', yAxisID: 'y' },
              { ...s.bar, label: 'Failed', data: points.map((p) => p.failed), stack: s.single ? 'f' : 'c', yAxisID: 'y' },
              { ...s.line, label: 'Success rate %', data: points.map((p) => p.successRate), yAxisID: 'y2', spanGaps: true },
            ],
          },
          options: baseOptions('Chunks', 'Success %', { min: 0, max: 100 }),
        }
      : {
          type: 'bar',
          data: {
            labels,
            datasets: [
              { ...s.bar, label: 'GPU minutes', data: points.map((p) => Math.round(p.gpuMinutes * 10) / 10), yAxisID: 'y' },
              { ...s.line, label: 'Cost (USD)', data: points.map((p) => Math.round(p.cost * 1000) / 1000), yAxisID: 'y2' },
            ],
          },
          options: baseOptions('GPU minutes', 'USD', { min: 0 }),
        };
  applyColors(cfg, what);
  return cfg;
}

function baseOptions(yTitle: string, y2Title: string, y2: { min: number; max?: number }): ChartConfiguration['options'] {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    scales: {
      x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
      y: { stacked: true, beginAtZero: true, title: { display: true, text: yTitle } },
      y2: { position: 'right', ...y2, grid: { drawOnChartArea: false }, title: { display: true, text: y2Title } },
    },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
  } as ChartConfiguration['options'];
}

/** Sets every colour of a chart from the current theme. */
function applyColors(cfg: ChartConfiguration, what: 'chunks' | 'cost'): void {
  const p = palette();
  const colors = what === 'chunks' ? [p.blue, p.red, p.green] : [p.purple, p.orange];
  cfg.data.datasets.forEach((d, i) => {
    const c = colors[i] ?? p.fg;
    Object.assign(d, { backgroundColor: c, borderColor: c });
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js option types are per chart type
  const o = cfg.options as any;
  for (const axis of ['x', 'y', 'y2']) {
    const s = o.scales[axis];
    s.ticks = { ...s.ticks, color: p.fg };
    s.grid = { ...s.grid, color: p.lines };
    if (s.title) s.title.color = p.fg;
  }
  o.plugins.legend.labels.color = p.fg;
  o.font = { family: p.font };
  Chart.defaults.color = p.fg;
  if (p.font) Chart.defaults.font.family = p.font;
}
