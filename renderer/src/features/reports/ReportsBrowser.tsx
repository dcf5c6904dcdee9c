/** The history browser: a full-window panel over the console with the list, one migration's page, or a comparison. */
import { useEffect } from 'react';
import { CompareView } from './CompareView';
import { HistoryList } from './HistoryList';
import { ReportDetail } from './ReportDetail';
import { StatusLine } from './StatusLine';
import { useReports } from './reportsStore';

export function ReportsBrowser() {
  const view = useReports((s) => s.view);
  const hide = useReports((s) => s.hide);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') hide();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [hide]);
  return (
    <div className="reports" role="dialog" aria-modal="true" aria-labelledby="reports-title">
      <header className="reports__head">
        <h2 id="reports-title">Migration reports</h2>
        <button type="button" className="button button--quiet" onClick={hide}>
          Close reports
        </button>
      </header>
      <StatusLine />
      {view.kind === 'list' ? <HistoryList /> : view.kind === 'detail' ? <ReportDetail entryKey={view.key} /> : <CompareView a={view.a} b={view.b} />}
    </div>
  );
}
