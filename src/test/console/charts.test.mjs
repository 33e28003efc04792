import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { installBrowser } from './fake-browser.mjs';
import { failedChart, latencyChart, lineChart, niceCeiling, niceDecimal, peakOf, pointRuns,
  rateChart, scales, xTicks, yTicks } from '../../main/resources/console/js/charts.js';
import { bytes } from '../../main/resources/console/js/format.js';

describe('scales', () => {
  it('niceDecimal is the smallest 1, 2 or 5 times a power of ten not below v', () => {
    const cases = [[1, 1], [1.1, 2], [2, 2], [3, 5], [7, 10], [0.03, 0.05], [100, 100],
      [101, 200], [450, 500]];
    for (const [v, top] of cases) {
      assert.ok(Math.abs(niceDecimal(v) - top) < 1e-12, v + ' -> ' + niceDecimal(v));
    }
  });

  it('niceCeiling reads round in the unit bytes() shows it in, and is not below v', () => {
    assert.equal(niceCeiling(0), 1024);
    assert.equal(niceCeiling(-5), 1024);
    assert.equal(niceCeiling(999), 1000);
    assert.equal(niceCeiling(1000), 1024);
    assert.equal(niceCeiling(1.5 * 1024 * 1024), 2 * 1024 * 1024);
    for (let v = 1; v < 1024 ** 5; v *= 3.7) {
      const top = niceCeiling(v);
      assert.ok(top >= v, v + ' -> ' + top);
      assert.match(bytes(top), /^(1|2|5|10|20|50|100|200|500|1000)(\.0)? (B|KiB|MiB|GiB|TiB|PiB)$/,
        v + ' -> ' + bytes(top));
    }
  });

  it('peakOf is the largest value, nulls left out, 0 for none', () => {
    assert.equal(peakOf([1, null, 7, 3]), 7);
    assert.equal(peakOf([null, null]), 0);
    assert.equal(peakOf([]), 0);
  });

  it('x is the middle of each slot, y runs from the bottom axis (0) to the top line', () => {
    const { x, y } = scales(720, 4, 100);
    assert.equal(x(0), 80 + 0.5 * 630 / 4);
    assert.equal(x(3), 80 + 3.5 * 630 / 4);
    assert.equal(y(0), 166);
    assert.equal(y(100), 10);
    assert.equal(y(50), 88);
  });

  it('ticks: 0, half and the top with labels; the hour\'s start, middle and now', () => {
    const { y } = scales(720, 120, 2048);
    assert.deepEqual(yTicks(2048, bytes, y).map((t) => [t.y, t.label]),
      [[166, '0 B'], [88, '1.0 KiB'], [10, '2.0 KiB']]);
    assert.deepEqual(xTicks(120), [{ i: 0, label: '-60 min' }, { i: 60, label: '-30 min' },
      { i: 119.5, label: 'now' }]);
  });

  it('a line breaks where there is no value, and a value above the top is drawn at the top', () => {
    const x = (i) => i * 10;
    const y = (v) => 100 - v;
    assert.deepEqual(pointRuns([1, 2, null, 3, null, null, 500], x, y, 50),
      [['0.0,99.0', '10.0,98.0'], ['30.0,97.0'], ['60.0,50.0']]);
    assert.deepEqual(pointRuns([null, null], x, y, 50), []);
  });
});

describe('drawing', () => {
  beforeEach(() => installBrowser());

  it('draws a polyline per run, a dot for a lone point, axis lines and labels', () => {
    const chart = lineChart([{ values: [1, 2, null, 3], cls: 'up' }], String, 4,
      { id: 'c', 'data-test': 'rate-chart' });
    assert.equal(chart.namespaceURI, 'http://www.w3.org/2000/svg');
    assert.equal(chart.getAttribute('viewBox'), '0 0 720 190');
    assert.equal(chart.getAttribute('data-test'), 'rate-chart');
    assert.equal(chart.byTag('line').length, 3);
    assert.deepEqual(chart.byTag('text').map((t) => t.textContent),
      ['0', '2', '4', '-60 min', '-30 min', 'now']);
    const lines = chart.byTag('polyline');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].getAttribute('data-test'), 'line-up');
    assert.equal(lines[0].getAttribute('points').split(' ').length, 2);
    const dots = chart.byTag('circle');
    assert.equal(dots.length, 1);
    assert.equal(dots[0].getAttribute('class'), 'up dot');
  });

  it('the rate chart carries its peaks for the tests and the legend', () => {
    const box = rateChart({ up: [0, 2048, 1024], down: [512, null, 0] }, 7);
    const chart = box.byTest('rate-chart')[0];
    assert.equal(chart.getAttribute('id'), 'rate-chart-7');
    assert.equal(chart.getAttribute('data-peak-upload'), '2048');
    assert.equal(chart.getAttribute('data-peak-download'), '512');
    assert.equal(box.byTest('upload-peak')[0].textContent, '2.0 KiB/s');
    assert.equal(box.byTest('download-peak')[0].textContent, '512 B/s');
  });

  it('the latency chart says "no calls" without any', () => {
    const box = latencyChart({ stat: [null, 1.5], export: [null, null] }, 1);
    assert.equal(box.byTest('latency-chart')[0].getAttribute('data-peak-stat-us'), '1500');
    assert.equal(box.byTest('stat-peak')[0].textContent, '1.50 ms');
    assert.equal(box.byTest('export-peak')[0].textContent, 'no calls');
  });

  it('the failed chart totals the hour', () => {
    const box = failedChart({ failed: [1, 0, 4] }, 1);
    assert.equal(box.byTest('failed-chart')[0].getAttribute('data-total-failed'), '5');
    assert.equal(box.byTest('failed-total')[0].textContent, '5 in the hour');
  });
});
