/** The entry point (one line in the app header): a "Reports" button that opens the history browser over the console. */
import { createPortal } from 'react-dom';
import { ReportsBrowser } from './ReportsBrowser';
import { useReports } from './reportsStore';
import './reports.css';

export function ReportsButton() {
  const open = useReports((s) => s.open);
  const show = useReports((s) => s.show);
  return (
    <>
      <button type="button" className="button" onClick={show} aria-haspopup="dialog" aria-expanded={open}>
        Reports
      </button>
      {open && createPortal(<ReportsBrowser />, document.body)}
    </>
  );
}
