// Line charts over the hour, drawn as SVG elements through the DOM (the CSP allows no inline
// markup). The geometry (scales, ticks, point runs) is pure and unit-tested under node; the
// drawing functions below it only turn that into elements.

import { el, svg } from './dom.js';
import { millis, rate } from './format.js';

/** The size of a chart and its margins (left for the y labels, bottom for the x labels). */
const H = 190, L = 80, R = 10, T = 10, B = 24;

/**
 * A y-axis top of at least v that reads well in the unit bytes() shows it in: 1, 2 or 5 times
 * a power of ten of B, KiB, MiB...
 */
export function niceCeiling(v) {
  if (v <= 0) {
    return 1024;
  }
  let unit = 1;
  while (v / unit >= 1000 && unit < Math.pow(1024, 5)) {
    unit *= 1024;
  }
  return unit * niceDecimal(v / unit);
}

/** The smallest of 1, 2, 5 times a power of ten that is at least v (v > 0). */
export function niceDecimal(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) {
    if (m * p >= v) {
      return m * p;
    }
  }
  return 10 * p;
}

/** The largest value, 0 for none; null (no value) is left out. */
export const peakOf = (values) => Math.max(0, ...values.filter((v) => v !== null));

/**
 * Where n values, 0 up to top, go on a chart width wide: x(i) the middle of slot i, y(v) from
 * the bottom axis (0) up to the top line (top).
 */
export function scales(width, n, top) {
  return {
    x: (i) => L + (i + 0.5) * (width - L - R) / n,
    y: (v) => T + (H - T - B) * (1 - v / top),
  };
}

/** The y axis lines: at 0, half and the top, each with its label. */
export function yTicks(top, format, y) {
  return [0, 0.5, 1].map((f) => ({ y: y(top * f), label: format(top * f) }));
}

/** The x axis labels: the hour's start, middle and now, at slot positions. */
export function xTicks(n) {
  return [[0, '-60 min'], [n / 2, '-30 min'], [n - 0.5, 'now']].map(([i, label]) => ({ i, label }));
}

/**
 * The points of a line as runs of "x,y" (one decimal): a value of null ends a run, so the line
 * has a gap there; a value above the top is drawn at the top.
 */
export function pointRuns(values, x, y, top) {
  const runs = [];
  let run = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length) {
        runs.push(run);
      }
      run = [];
    } else {
      run.push(x(i).toFixed(1) + ',' + y(Math.min(v, top)).toFixed(1));
    }
  });
  if (run.length) {
    runs.push(run);
  }
  return runs;
}

/**
 * A line chart over the hour: lines of {values, cls} (null = no point), a y axis from 0 to
 * a round top, labels by {@code format}. Attributes go on the svg (ids, data-* for tests).
 */
export function lineChart(lines, format, top, attrs, width) {
  const W = width || 720;
  const n = lines[0].values.length;
  const { x, y } = scales(W, n, top);
  const chart = svg('svg', Object.assign({ viewBox: `0 0 ${W} ${H}`, class: 'chart',
    role: 'img' }, attrs));
  for (const tick of yTicks(top, format, y)) {
    chart.append(svg('line', { x1: L, x2: W - R, y1: tick.y, y2: tick.y, class: 'axis' }));
    chart.append(svg('text', { x: L - 6, y: tick.y + 4, 'text-anchor': 'end', text: tick.label }));
  }
  for (const { i, label } of xTicks(n)) {
    chart.append(svg('text', { x: x(i), y: H - 6, 'text-anchor': i === 0 ? 'start' : 'middle',
      text: label }));
  }
  for (const { values, cls } of lines) {
    // a lone point has no line: a dot
    for (const run of pointRuns(values, x, y, top)) {
      if (run.length === 1) {
        const [px, py] = run[0].split(',');
        chart.append(svg('circle', { cx: px, cy: py, r: 2.5, class: cls + ' dot' }));
      } else {
        chart.append(svg('polyline', { points: run.join(' '), class: cls,
          'data-test': 'line-' + cls }));
      }
    }
  }
  return chart;
}

export function rateChart(series, clusterId) {
  const peakUp = peakOf(series.up);
  const peakDown = peakOf(series.down);
  const chart = lineChart([{ values: series.down, cls: 'down' }, { values: series.up, cls: 'up' }],
    rate, niceCeiling(Math.max(peakUp, peakDown)), {
      id: 'rate-chart-' + clusterId, 'data-test': 'rate-chart',
      'data-peak-upload': Math.round(peakUp), 'data-peak-download': Math.round(peakDown),
      'aria-label': 'bytes uploaded and downloaded per second over the last hour',
    });
  const latest = (values) => values[values.length - 1];
  const legend = el('p', { class: 'legend' },
    el('span', { class: 'swatch up' }), 'uploaded: peak ',
    el('strong', { 'data-test': 'upload-peak', text: rate(peakUp) }),
    ', this minute ', el('span', { text: rate(latest(series.up)) }), ' \u00a0 ',
    el('span', { class: 'swatch down' }), 'downloaded: peak ',
    el('strong', { 'data-test': 'download-peak', text: rate(peakDown) }),
    ', this minute ', el('span', { text: rate(latest(series.down)) }));
  return el('div', { class: 'chart-box' }, chart, legend);
}

export function latencyChart(series, clusterId) {
  const peakStat = peakOf(series.stat);
  const peakExport = peakOf(series.export);
  const chart = lineChart([{ values: series.stat, cls: 'stat' },
    { values: series.export, cls: 'export' }], millis,
  niceDecimal(Math.max(1, peakStat, peakExport)), {
    id: 'latency-chart-' + clusterId, 'data-test': 'latency-chart',
    'data-peak-stat-us': Math.round(peakStat * 1000),
    'data-peak-export-us': Math.round(peakExport * 1000),
    'aria-label': 'mean stat and export latency over the last hour',
  }, 520);
  const legend = el('p', { class: 'legend' },
    el('span', { class: 'swatch stat' }), 'stat: peak ',
    el('strong', { 'data-test': 'stat-peak',
      text: series.stat.some((v) => v !== null) ? millis(peakStat) : 'no calls' }), ' \u00a0 ',
    el('span', { class: 'swatch export' }), 'export (whole call): peak ',
    el('strong', { 'data-test': 'export-peak',
      text: series.export.some((v) => v !== null) ? millis(peakExport) : 'no calls' }),
    el('span', { class: 'hint', text: ' \u00a0 mean per minute, as the daemons timed them' }));
  return el('div', { class: 'chart-box' }, chart, legend);
}

export function failedChart(series, clusterId) {
  const total = series.failed.reduce((a, b) => a + b, 0);
  const chart = lineChart([{ values: series.failed, cls: 'failed' }], (v) => String(Math.round(v)),
    niceDecimal(Math.max(2, peakOf(series.failed))), {
      id: 'failed-chart-' + clusterId, 'data-test': 'failed-chart', 'data-total-failed': total,
      'aria-label': 'pieces failed per minute over the last hour',
    }, 520);
  const legend = el('p', { class: 'legend' }, el('span', { class: 'swatch failed' }),
    'pieces failed (a parent that failed or sent a corrupt piece), per minute: ',
    el('strong', { 'data-test': 'failed-total', text: total + ' in the hour' }));
  return el('div', { class: 'chart-box' }, chart, legend);
}
