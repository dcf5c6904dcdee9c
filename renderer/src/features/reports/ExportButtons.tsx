/** "Export HTML / PDF / CSV / JSON" for one migration or the selection. */
import { REPORT_FORMATS } from '../../../../shared/ipc/reports-contract';
import { useReports } from './reportsStore';

const LABEL = { html: 'HTML', pdf: 'PDF', csv: 'CSV', json: 'JSON' } as const;

export function ExportButtons({ keys, what }: { readonly keys: readonly string[]; readonly what: string }) {
  const exportRefs = useReports((s) => s.exportRefs);
  const busy = useReports((s) => s.busy);
  return (
    <div className="reports__exports" role="group" aria-label={`Export ${what}`}>
      <span className="muted">Export {what}:</span>
      {REPORT_FORMATS.map((f) => (
        <button key={f} type="button" className="button" disabled={keys.length === 0 || busy !== undefined} onClick={() => void exportRefs(keys, f)} aria-label={`Export ${what} as ${LABEL[f]}`}>
          {LABEL[f]}
        </button>
      ))}
    </div>
  );
}
