// The history browser draws the report's SVG charts through React (SvgView): what React renders must be the same
// elements, attributes and text as the exported SVG, so the screen and the files show one picture.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { lineChart, renderSvg } from '../../shared/reports/svg';
import { SvgView } from '../../renderer/src/features/reports/SvgView';

/** Tags with their attributes (sorted) and text, in document order. */
function shape(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>|([^<]+)/g)) {
    if (m[4] !== undefined) out.push(`text:${m[4]}`);
    else if (m[1]) out.push(`/${m[2]}`);
    else {
      const attrs = [...(m[3] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => `${a[1]}=${a[2]}`).sort();
      out.push(`${m[2]} ${attrs.join(' ')}`);
      if (m[0].endsWith('/>')) out.push(`/${m[2]}`);
    }
  }
  return out;
}

describe('SvgView', () => {
  it('renders the same SVG as the exported report', () => {
    const node = lineChart({
      title: 'Throughput & dirty rate <MiB/s>',
      yUnit: 'MiB/s',
      series: [
        { name: 'Throughput', color: '#1971c2', points: [{ x: 0, y: 1 }, { x: 2, y: 20 }, { x: 3, y: 18.5 }] },
        { name: 'Dirty rate', color: '#d9480f', points: [{ x: 1, y: 4 }], dashed: true },
      ],
      reference: { y: 20, label: 'cap 20 MiB/s', color: '#868e96' },
    });
    const react = renderToStaticMarkup(createElement(SvgView, { node }));
    expect(shape(react)).toEqual(shape(renderSvg(node)));
    expect(react).toContain('stroke-dasharray="6 4"');
    expect(react).toContain('Throughput &amp; dirty rate &lt;MiB/s&gt;');
  });
});
