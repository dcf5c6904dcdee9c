/** "Export HTML / PDF / CSV / JSON" for one migration or the selection, and the same buttons for any other report (an evacuation's). */
import { REPORT_FORMATS, type ReportFormat } from '../../../../shared/ipc/reports-contract';
import { useReports } from './reportsStore';

const LABEL = { html: 'HTML', pdf: 'PDF', csv: 'CSV', json: 'JSON' } as const;

export function ExportButtons({ keys, what }: { readonly keys: readonly string[]; readonly what: string }) {
  const exportRefs = useReports((s) => s.exportRefs);
  const busy = useReports((s) => s.busy);
  return <ExportFormatButtons what={what} formats={REPORT_FORMATS} disabled={keys.length === 0 || busy !== undefined} onExport={(f) => exportRefs(keys, f)} />;
}

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
