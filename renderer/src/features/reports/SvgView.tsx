/** Draws a chart built by shared/reports/svg.ts: the same element tree the HTML and PDF reports serialise. */
import { createElement, type ReactElement, type ReactNode } from 'react';
import type { SvgNode } from '../../../../shared/reports/svg';

const camel = (k: string) => (k === 'class' ? 'className' : k.startsWith('aria-') || k.startsWith('data-') ? k : k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));

function toReact(node: SvgNode, key?: number): ReactElement {
  const props: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(node.attrs)) props[camel(k)] = v;
  if (node.tag === 'svg') props['xmlns'] = 'http://www.w3.org/2000/svg';
  const children: ReactNode[] = node.children.map((c, i) => (typeof c === 'string' ? c : toReact(c, i)));
  return createElement(node.tag, key === undefined ? props : { ...props, key }, ...children);
}

export function SvgView({ node }: { readonly node: SvgNode }) {
  return toReact(node);
}
