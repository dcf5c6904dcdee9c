/**
 * The evacuation run's channels (shared/ipc/evacuation-contract.ts) over the EvacuationService: start a plan, its
 * controls, the live list (the whole list again on every change) and the report's export (HTML, PDF through the
 * reports' PDF renderer, CSV, JSON; delivered as the migration reports are: a save dialog on the desktop, a download
 * in web mode). The composition root wires them into the handler map.
 */
import { ferryError } from '../../../shared/errors';
import { err } from '../../../shared/result';
import { buildEvacuationCsv, buildEvacuationHtml, buildEvacuationJson } from '../../../shared/evacuation/report';
import type { EvacuationView } from '../../../shared/evacuation/schema';
import type { evacuationControl, evacuationExport, evacuationStart, evacuationsWatch } from '../../../shared/ipc/evacuation-contract';
import type { RequestHandler, StreamHandler } from '../ipc/handlers';
import type { PdfRenderer } from '../reports/chromium-pdf';
import { deliverExport } from '../reports/channels';
import type { SaveFile } from '../reports/electron-seams';
import type { EvacuationService } from './runner';

export interface EvacuationRunHandlers {
  readonly evacuationStart: RequestHandler<typeof evacuationStart>;
  readonly evacuationControl: RequestHandler<typeof evacuationControl>;
  readonly evacuationExport: RequestHandler<typeof evacuationExport>;
  readonly evacuationsWatch: StreamHandler<typeof evacuationsWatch>;
}

export interface EvacuationRunDeps {
  readonly service: Pick<EvacuationService, 'start' | 'control' | 'view' | 'views' | 'onChange'>;
  readonly wallClock: () => number;
  /** "Ferry 0.1.0", printed in every report. */
  readonly generator: string;
  /** HTML -> PDF, the reports' renderer (headless Chromium in web mode, Electron's printToPDF on the desktop). */
  readonly pdf: PdfRenderer;
  /** Desktop only: the save dialog. Absent: exports are answered as a download. */
  readonly save?: SaveFile;
}

/** `ferry-evacuation-hvA-20261208-0230.pdf`: only [A-Za-z0-9._-]. */
export function evacuationFileName(v: EvacuationView, ext: string): string {
  const safe = v.hostName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'host';
  const stamp = new Date(v.startedAt).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `ferry-evacuation-${safe}-${stamp}.${ext}`;
}

export function evacuationRunHandlers(d: EvacuationRunDeps): EvacuationRunHandlers {
  return {
    evacuationStart: ({ plan }) => d.service.start(plan),
    evacuationControl: ({ id, action }) => d.service.control(id, action),
    evacuationExport: async ({ id, format }, ctx) => {
      const v = d.service.view(id);
      if (!v) return err(ferryError('inventory.not-found', `No evacuation ${id}.`));
      const now = d.wallClock();
      const meta = { generatedAt: now, exportedAt: now, generator: d.generator };
      const utf8 = (t: string) => new TextEncoder().encode(t);
      let data: Uint8Array;
      if (format === 'json') data = utf8(buildEvacuationJson(v, meta));
      else if (format === 'csv') data = utf8(buildEvacuationCsv(v));
      else {
        const html = buildEvacuationHtml(v, meta);
        if (format === 'html') data = utf8(html);
        else {
          const printed = await d.pdf(html);
          if (!printed.ok) return printed;
          data = printed.value;
        }
      }
      return deliverExport(d.save, ctx, format, evacuationFileName(v, format), data, 'Evacuation report');
    },
    evacuationsWatch: (_params, emit) => {
      emit({ evacuations: d.service.views() });
      return d.service.onChange(() => emit({ evacuations: d.service.views() }));
    },
  };
}

