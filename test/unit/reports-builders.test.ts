// The report builders (shared/reports/): self-contained HTML with inline SVG charts, CSV of the samples that reads
// back to the same numbers, the versioned JSON that round-trips deep-equal, the timeline and the comparison maths.
// The samples are domjobinfo captures from the lab (test/fixtures/virsh/) parsed and derived as the engine does.
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { migrationRecordSchema, migrationSampleSchema, type MigrationRecordView, type MigrationSample } from '../../shared/migration/record-schema';
import { deriveJobFigures } from '../../shared/migration/derive';
import { parseDomjobinfo } from '../../shared/parsers/virsh-domjobinfo';
import { ferryError } from '../../shared/errors';
import { unwrap } from '../../shared/result';
import { CSV_COLUMNS, buildSamplesCsv, csvText } from '../../shared/reports/csv';
import { buildHtmlReport } from '../../shared/reports/html';
import { compareMigrations, formatChange, migrationFigures, migrationTimeline, passChanges } from '../../shared/reports/metrics';
import { REPORT_SCHEMA_ID, buildJsonReport, parseJsonReport, type ReportEntry } from '../../shared/reports/schema';
import { lineChart, migrationCharts, migrationSeries, niceTicks, renderSvg } from '../../shared/reports/svg';

const capture = (name: string) => unwrap(parseDomjobinfo(readFileSync(`test/fixtures/virsh/domjobinfo-${name}.txt`, 'utf8')));

/** A run shaped like a lab one: the captured pre-copy readings, one second apart, passes going up. */
function labEntry(id: string, opts: { vm?: string; total?: number; downtime?: number; data?: number; scale?: number } = {}): ReportEntry {
  const names = ['early-time-only', 'precopy-running', 'precopy-not-converging', 'precopy-last-iteration', 'autoconverge-throttle'];
  const t0 = 1_764_072_000_000;
  const samples: MigrationSample[] = [];
  let prev;
  for (const [i, n] of names.entries()) {
    const info = capture(n);
    const scaled = opts.scale ? { ...info, ...(info.dirtyRatePagesPerSecond !== undefined ? { dirtyRatePagesPerSecond: Math.round(info.dirtyRatePagesPerSecond * opts.scale) } : {}) } : info;
    samples.push({ seq: i + 1, at: t0 + 1000 * (i + 1), latencyMs: 1.25 + i / 8, info: scaled, figures: deriveJobFigures(scaled, prev) });
    prev = scaled;
  }
  samples.push({ seq: 6, at: t0 + 6000, latencyMs: 0.9, error: { code: 'libvirt.not-running', message: 'Requested operation is not valid: domain is not running' } });
  const record: MigrationRecordView = {
    id,
    vm: opts.vm ?? 'vm1',
    source: { id: 'h-a', name: 'hvA' },
    destination: { id: 'h-b', name: 'hvB' },
    options: { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 20, maxDowntimeMs: 300 },
    commandLine: "'virsh' '--connect' 'qemu:///system' 'migrate' '--live' '--p2p' '--domain' 'vm1' '--desturi' 'qemu+ssh://root@10.77.0.12/system'",
    preflight: [
      { check: 'p2p', title: 'Source reaches destination', status: 'pass', message: 'hvA opened qemu+ssh://root@10.77.0.12/system.' },
      { check: 'mtu', status: 'warn', message: 'MTU 9000 on hvA, 1500 on <hvC> & "friends"', fix: 'Set the same MTU.' },
    ],
    state: 'completed',
    startedAt: t0,
    endedAt: t0 + 7000,
    result: { totalTimeMs: opts.total ?? 6_512, downtimeMs: opts.downtime ?? 48, dataBytes: opts.data ?? 94_371_840 },
    events: [
      { at: t0, kind: 'started', text: 'Migration of vm1 from hvA to hvB started.' },
      { at: t0 + 2500, kind: 'control', text: 'Bandwidth cap set to 32 MiB/s.' },
      { at: t0 + 7000, kind: 'ended', text: 'Completed.' },
    ],
  };
  return { record: migrationRecordSchema.parse(record), samples: samples.map((s) => migrationSampleSchema.parse(s)) };
}

/**
 * XML well-formedness, strictly enough for generated SVG: every tag closed in order, attributes quoted with no raw
 * `<` or `&`, text with no raw `<` and only the five XML entities or numeric references.
 */
function wellFormed(xml: string): { ok: true; root: string } | { ok: false; why: string } {
  const stack: string[] = [];
  let root = '';
  const token = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|#39);[^"<&]*)*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of xml.matchAll(token)) {
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) return { ok: false, why: `stray or malformed tag at ${m.index}: ${xml.slice(m.index, m.index + 60)}` };
    if (text !== undefined) {
      if (stack.length === 0) return { ok: false, why: 'text outside the root' };
      if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#39);)/.test(text)) return { ok: false, why: `raw & in ${text}` };
      continue;
    }
    if (close) {
      if (stack.pop() !== name) return { ok: false, why: `</${String(name)}> closes the wrong element` };
    } else {
      if (stack.length === 0 && root !== '') return { ok: false, why: 'two roots' };
      if (root === '') root = name ?? '';
      if (!selfClose) stack.push(name ?? '');
    }
  }
  return stack.length === 0 ? { ok: true, root } : { ok: false, why: `unclosed ${stack.join(' > ')}` };
}

describe('HTML report', () => {
  const a = labEntry('m-1');
  const html = buildHtmlReport([a], { generatedAt: 1_764_072_100_000, generator: 'Ferry 0.1.0' });

  it('references nothing outside itself and runs no script', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    // The only "http" is the SVG namespace, which is a name, not a fetch.
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/i);
  });

  it('forbids scripts, fetches and frames in its own head (an imported report is printed too)', () => {
    const head = html.slice(0, html.indexOf('</head>'));
    const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;
    expect(head).toContain(csp);
    // Before anything the policy governs: the title and the style sheet come after it.
    expect(head.indexOf(csp)).toBeLessThan(head.indexOf('<style>'));
  });

  it('says what, where, how long and how much down, with the command, pre-flight and timeline', () => {
    for (const s of ['vm1', 'hvA → hvB', '6.51 s', '48 ms', '90.00 MiB', '<span class="tone-ok">Completed</span>', '2025-11-25 12:00:00 UTC', 'Pass 1', 'Bandwidth cap set to 32 MiB/s.', "'--desturi'", 'Source reaches destination']) {
      expect(html).toContain(s.replace(/'/g, '&#39;'));
    }
  });

  it('escapes what a record carries', () => {
    expect(html).toContain('&lt;hvC&gt; &amp; &quot;friends&quot;');
    expect(html).not.toContain('<hvC>');
  });

  it('says a failed check was overridden, when, and in the words the admin confirmed', () => {
    const e = labEntry('m-o');
    const t = e.record.startedAt - 2000;
    const record = migrationRecordSchema.parse({
      ...e.record,
      preflight: [{ check: 'mtu', status: 'fail', message: 'Packets above 1500 bytes vanish toward 10.77.2.12.', overridable: true, override: { at: t, confirmation: 'Start although the MTU check failed.' } }],
    });
    const out = buildHtmlReport([{ ...e, record }], { generatedAt: 1_764_072_100_000, generator: 'Ferry 0.1.0' });
    expect(out).toContain('fail, overridden');
    expect(out).toContain(`Started anyway at ${new Date(t).toISOString().slice(11, 19)} UTC; the admin confirmed: &quot;Start although the MTU check failed.&quot;`);
    expect(html).not.toContain('overridden');
  });

  it('embeds well-formed SVG charts with path data: rates, remaining, downtime, and the throttle QEMU applied', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    // The run's last capture is auto-converge throttling at 50 %: a fourth chart, and the figure in the table.
    expect(svgs).toHaveLength(4);
    expect(svgs[3]).toContain('aria-label="Auto-converge throttle"');
    expect(html).toContain('<dt>Max auto-converge throttle</dt><dd>50 %</dd>');
    for (const svg of svgs) {
      expect(wellFormed(svg)).toEqual({ ok: true, root: 'svg' });
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    }
    const d = [...html.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(d.some((p) => (p.match(/L/g) ?? []).length >= 2)).toBe(true);
  });

  it('says why a run over before Ferry sampled moving memory has no charts, instead of empty "no data" ones', () => {
    const e = labEntry('m-short');
    const short = buildHtmlReport([{ ...e, samples: e.samples.slice(0, 1) }], { generatedAt: 0, generator: 'Ferry' });
    expect(short).toContain('No sample of moving memory was taken');
    expect(short).not.toContain('(no data)');
  });

  it('a selection gets a summary table and one section per migration', () => {
    const two = buildHtmlReport([a, labEntry('m-2', { vm: 'vmd' })], { generatedAt: 0, generator: 'Ferry' });
    expect(two).toContain('Migration report: 2 migrations');
    expect(two.match(/<section class="migration"/g)).toHaveLength(2);
    expect(two).toContain('<h2>Summary</h2>');
  });
});

describe('SVG charts', () => {
  it('chooses round ticks that cover the data', () => {
    expect(niceTicks(47)).toEqual({ step: 10, ticks: [0, 10, 20, 30, 40, 50] });
    expect(niceTicks(0.3).ticks.at(-1)).toBeGreaterThanOrEqual(0.3);
    expect(niceTicks(0).ticks).toEqual([0, 1]);
  });

  it('maps points to the plot area: y = 0 at the bottom, the top tick at the top', () => {
    const svg = lineChart({ title: 't', yUnit: 'MiB/s', width: 200, height: 100, xMax: 10, yMax: 10, series: [{ name: 's', color: '#000', points: [{ x: 0, y: 0 }, { x: 10, y: 10 }] }] });
    const path = svg.children.find((c) => typeof c !== 'string' && c.attrs['class'] === 'series');
    const first = typeof path === 'object' ? path.children[0] : undefined;
    const d = typeof first === 'object' ? first.attrs['d'] : '';
    // plot: left 56, right 200-16=184, top 28, bottom 100-34=66
    expect(d).toBe('M56.0,66.0 L184.0,28.0');
  });

  it('the well-formedness check itself catches broken markup', () => {
    expect(wellFormed('<svg><g></svg>').ok).toBe(false);
    expect(wellFormed('<svg><text>a & b</text></svg>').ok).toBe(false);
    expect(wellFormed('<svg a=1/>').ok).toBe(false);
  });

  it('draws a series of one point as a dot (a run of a second or two), not as nothing', () => {
    const text = renderSvg(lineChart({ title: 't', yUnit: 'MiB', width: 200, height: 100, xMax: 10, yMax: 10, series: [{ name: 'Remaining', color: '#000', points: [{ x: 5, y: 5 }] }] }));
    expect(text).toMatch(/<path d="M120\.0,47\.0 h0\.01" stroke-width="5" stroke-linecap="round"/);
  });

  it('leaves a series with no value out rather than drawing zeros, and says so in its legend', () => {
    const text = renderSvg(lineChart({ title: 't', yUnit: 'ms', series: [{ name: 'Expected downtime', color: '#000', points: [] }] }));
    expect(text).toContain('Expected downtime (no data)');
    expect(text).not.toMatch(/<path d=/);
  });

  it('downsamples a long run to the point budget', () => {
    const base = labEntry('m-1').samples[2] as MigrationSample;
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...base, seq: i, at: 1000 * i }));
    const s = migrationSeries(many, 300);
    expect(s.throughput.length).toBe(300);
    expect(s.lastT).toBe(4999);
    expect(migrationCharts(s)).toHaveLength(3); // no throttle in these samples: no throttle chart
  });

  it("measures time from the migration's start when it is known, else from the first sample", () => {
    const e = labEntry('m-1');
    const first = e.samples.find((s) => s.figures?.throughputBytesPerSecond !== undefined) as MigrationSample;
    const fromStart = migrationSeries(e.samples, 400, e.record.startedAt);
    expect(fromStart.throughput[0]?.x).toBe((first.at - e.record.startedAt) / 1000);
    expect(migrationSeries(e.samples, 400, first.at + 60_000).throughput[0]?.x).toBe((first.at - (e.samples[0]?.at ?? 0)) / 1000);
  });
});

describe('CSV of the samples', () => {
  const e = labEntry('m-1');
  const csv = buildSamplesCsv([e]);
  const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];

  it('has units in its header and one row per sample', () => {
    expect(csv.split('\r\n')[0]).toContain('dirty_rate_bytes_per_s,dirty_rate_pages_per_s,page_size_bytes');
    expect(rows).toHaveLength(e.samples.length);
    expect(Object.keys(rows[0] ?? {})).toEqual(CSV_COLUMNS.map((c) => c.name));
  });

  it('reads back to the same numbers, with unknown values empty (never 0)', () => {
    e.samples.forEach((s, i) => {
      const r = rows[i] as Record<string, string>;
      const num = (k: string) => (r[k] === '' ? undefined : Number(r[k]));
      expect(num('seq')).toBe(s.seq);
      expect(num('at_ms_since_epoch')).toBe(s.at);
      expect(num('sample_latency_ms')).toBe(s.latencyMs);
      expect(num('throughput_bytes_per_s')).toBe(s.figures?.throughputBytesPerSecond);
      expect(num('dirty_rate_bytes_per_s')).toBe(s.figures?.dirtyRateBytesPerSecond);
      expect(num('memory_remaining_bytes')).toBe(s.figures?.remainingBytes);
      expect(num('expected_downtime_ms')).toBe(s.figures?.expectedDowntimeMs);
      expect(num('iteration')).toBe(s.figures?.iteration);
      expect(num('pass_progress_ratio')).toBe(s.figures?.passProgress);
    });
    const failed = rows.at(-1) as Record<string, string>;
    expect(failed['throughput_bytes_per_s']).toBe('');
    expect(failed['error_message']).toBe('Requested operation is not valid: domain is not running');
  });

  it('quotes text that holds commas, quotes and newlines', () => {
    const odd = labEntry('m-odd', { vm: 'web, "prod"\nblue' });
    const back = parseCsv(buildSamplesCsv([odd]), { columns: true }) as Record<string, string>[];
    expect(back[0]?.['vm']).toBe('web, "prod"\nblue');
  });

  it('writes text a spreadsheet would run as a formula with a leading quote, and numbers as numbers', () => {
    const vm = '=HYPERLINK("http://x","y")';
    const evil = labEntry('m-evil', { vm });
    const last = evil.samples.at(-1) as MigrationSample;
    const samples = [...evil.samples.slice(0, -1), { ...last, error: ferryError('libvirt.error', '@SUM(1+1)*cmd|calc') }];
    const back = parseCsv(buildSamplesCsv([{ ...evil, samples }]), { columns: true }) as Record<string, string>[];
    expect(back[0]?.['vm']).toBe(`'${vm}`);
    expect(back.at(-1)?.['error_message']).toBe("'@SUM(1+1)*cmd|calc");
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvText(`${lead}1`)).toBe(`'${lead}1`);
    expect(csvText('web-1')).toBe('web-1');
    expect(csvText('')).toBe('');
    const negative = { ...evil, samples: [{ ...(evil.samples[0] as MigrationSample), latencyMs: -5 }] };
    const row = (parseCsv(buildSamplesCsv([negative]), { columns: true }) as Record<string, string>[])[0];
    expect(row?.['sample_latency_ms']).toBe('-5');
  });
});

describe('JSON report', () => {
  it(`round-trips ${REPORT_SCHEMA_ID} deep-equal`, () => {
    const entries = [labEntry('m-1'), labEntry('m-2', { vm: 'vmd' })];
    const text = buildJsonReport(entries, { exportedAt: 5, generator: 'Ferry test' });
    const back = unwrap(parseJsonReport(text));
    expect(back.schema).toBe(REPORT_SCHEMA_ID);
    expect(back.migrations).toEqual(entries);
    expect(JSON.parse(buildJsonReport(back.migrations, { exportedAt: 5, generator: 'Ferry test' }))).toEqual(JSON.parse(text));
  });

  it('refuses other files with a reason', () => {
    const notJson = parseJsonReport('<html>');
    expect(!notJson.ok && notJson.error.message).toMatch(/not JSON/);
    const later = parseJsonReport(JSON.stringify({ schema: 'ferry.migration-report/2', migrations: [] }));
    expect(!later.ok && later.error.message).toMatch(/schema ferry\.migration-report\/2; this Ferry reads ferry\.migration-report\/1/);
    const doc = JSON.parse(buildJsonReport([labEntry('m-1')], { exportedAt: 1, generator: 'x' })) as { migrations: { record: { state: string } }[] };
    (doc.migrations[0] as { record: { state: string } }).record.state = 'teleported';
    const bad = parseJsonReport(JSON.stringify(doc));
    expect(!bad.ok && bad.error.message).toMatch(/migrations\.0\.record\.state/);
  });
});

describe('figures, timeline and comparison', () => {
  it('takes the max dirty rate, mean throughput and passes from the samples', () => {
    const e = labEntry('m-1');
    const f = migrationFigures(e);
    const dirty = e.samples.flatMap((s) => (s.figures?.dirtyRateBytesPerSecond === undefined ? [] : [s.figures.dirtyRateBytesPerSecond]));
    const thr = e.samples.flatMap((s) => (s.figures?.throughputBytesPerSecond === undefined ? [] : [s.figures.throughputBytesPerSecond]));
    expect(f.maxDirtyRateBytesPerSecond).toBe(Math.max(...dirty));
    expect(f.meanThroughputBytesPerSecond).toBeCloseTo(thr.reduce((x, y) => x + y, 0) / thr.length, 6);
    expect(f.iterations).toBe(Math.max(...e.samples.map((s) => s.figures?.iteration ?? 0)));
    expect(migrationFigures({ record: e.record, samples: [] })).toEqual({ totalTimeMs: 6512, downtimeMs: 48, dataBytes: 94_371_840, sampleCount: 0 });
  });

  it('derives pass changes from the iteration counter and merges them with events in time order', () => {
    const e = labEntry('m-1');
    const passes = passChanges(e.samples);
    expect(passes.length).toBeGreaterThan(1);
    const its = passes.map((p) => Number(/Pass (\d+)/.exec(p.text)?.[1]));
    expect([...its].sort((x, y) => x - y)).toEqual(its);
    expect(new Set(its).size).toBe(its.length);
    const tl = migrationTimeline(e);
    expect(tl.map((i) => i.at)).toEqual([...tl.map((i) => i.at)].sort((x, y) => x - y));
    expect(tl[0]?.kind).toBe('started');
    expect(tl.some((i) => i.kind === 'sample-error' && i.text.includes('domain is not running'))).toBe(true);
  });

  it('computes B - A and the change in percent', () => {
    const before = labEntry('m-1', { total: 10_000, downtime: 400, data: 200 * 1048576 });
    const after = labEntry('m-2', { total: 6_500, downtime: 100, data: 100 * 1048576, scale: 2 });
    const rows = Object.fromEntries(compareMigrations(before, after).map((r) => [r.metric.key, r]));
    expect(rows['totalTimeMs']).toMatchObject({ a: 10_000, b: 6_500, diff: -3_500, pct: -35 });
    expect(rows['downtimeMs']).toMatchObject({ diff: -300, pct: -75 });
    expect(rows['dataBytes']).toMatchObject({ diff: -100 * 1048576, pct: -50 });
    const d = rows['maxDirtyRateBytesPerSecond'];
    expect(d?.b).toBeCloseTo(2 * (d?.a ?? NaN), -4);
    expect(rows['iterations']).toMatchObject({ diff: 0, pct: 0 });
  });

  it('writes a change with its sign, a minus sign for less, none for a change that rounds to zero', () => {
    expect([formatChange(-35), formatChange(99.26), formatChange(-0.004), formatChange(undefined), formatChange(Infinity)]).toEqual(['−35.0 %', '+99.3 %', '0.0 %', '—', '—']);
  });

  it('leaves the difference out when a figure is unknown or the base is zero', () => {
    const a = labEntry('m-1', { downtime: 0 });
    const b = { ...labEntry('m-2'), record: { ...labEntry('m-2').record, result: {} } };
    const rows = Object.fromEntries(compareMigrations(a, b).map((r) => [r.metric.key, r]));
    expect(rows['totalTimeMs']).toEqual({ metric: rows['totalTimeMs']?.metric, a: 6512 });
    const z = Object.fromEntries(compareMigrations(a, labEntry('m-3', { downtime: 50 })).map((r) => [r.metric.key, r]));
    expect(z['downtimeMs']).toMatchObject({ a: 0, b: 50, diff: 50 });
    expect(z['downtimeMs']?.pct).toBeUndefined();
  });
});
