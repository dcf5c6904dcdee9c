/** "Export HTML / PDF / CSV / JSON" for one migration or the selection. */
import { REPORT_FORMATS } from '../../../../shared/ipc/reports-contract';
import { ExportFormatButtons } from '../common/ExportFormatButtons';
import { useReports } from './reportsStore';

export function ExportButtons({ keys, what }: { readonly keys: readonly string[]; readonly what: string }) {
  const exportRefs = useReports((s) => s.exportRefs);
  const busy = useReports((s) => s.busy);
  return <ExportFormatButtons what={what} formats={REPORT_FORMATS} disabled={keys.length === 0 || busy !== undefined} onExport={(f) => exportRefs(keys, f)} />;
}
