/** "Export HTML / PDF / CSV / JSON" buttons for a report (a migration's, a selection's, an evacuation's). */
import type { ReportFormat } from '../../../../shared/ipc/reports-contract';

const LABEL = { html: 'HTML', pdf: 'PDF', csv: 'CSV', json: 'JSON' } as const;

export function ExportFormatButtons({ what, formats, disabled, onExport }: { readonly what: string; readonly formats: readonly ReportFormat[]; readonly disabled: boolean; readonly onExport: (format: ReportFormat) => Promise<void> }) {
  return (
    <div className="reports__exports" role="group" aria-label={`Export ${what}`}>
      <span className="muted">Export {what}:</span>
      {formats.map((f) => (
        <button key={f} type="button" className="button" disabled={disabled} onClick={() => void onExport(f)} aria-label={`Export ${what} as ${LABEL[f]}`}>
          {LABEL[f]}
        </button>
      ))}
    </div>
  );
}
