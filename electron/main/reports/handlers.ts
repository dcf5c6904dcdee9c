/**
 * Main's handlers for the reports channels: the channels (channels.ts) over the imported reports' file in the data
 * directory and, unless the composition root passes Electron's printToPDF, headless Chromium for PDFs.
 */
import { chromiumPdf, type PdfRenderer } from './chromium-pdf';
import { ImportedStore } from './imported-store';
import { reportChannels, type ReportChannelDeps, type ReportsHandlers } from './channels';

export { reportFileName, type MigrationReader, type ReportsHandlers } from './channels';

export interface ReportsDeps extends Omit<ReportChannelDeps, 'pdf' | 'store'> {
  readonly dataDir: string;
  /** HTML -> PDF. Default: headless Chromium (web mode); the desktop passes Electron's printToPDF. */
  readonly pdf?: PdfRenderer;
  readonly store?: ImportedStore;
}

export function reportsHandlers({ dataDir, pdf, store, ...rest }: ReportsDeps): ReportsHandlers {
  return reportChannels({ ...rest, store: store ?? new ImportedStore({ dataDir, wallClock: rest.wallClock }), pdf: pdf ?? chromiumPdf() });
}
