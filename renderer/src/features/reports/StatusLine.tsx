/** The browser's busy / notice / error line (an export or import in progress, its outcome, what went wrong). */
import { useReports } from './reportsStore';

export function StatusLine() {
  const busy = useReports((s) => s.busy);
  const notice = useReports((s) => s.notice);
  const error = useReports((s) => s.error);
  const problems = useReports((s) => s.problems);
  return (
    <>
      {busy !== undefined && (
        <p className="reports__status" role="status">
          {busy}
        </p>
      )}
      {notice !== undefined && busy === undefined && (
        <p className="reports__status" role="status" aria-label="Report outcome">
          {notice}
        </p>
      )}
      {error !== undefined && (
        <div className="banner banner--error" role="alert">
          <p className="banner__message">{error.message}</p>
          {error.detail !== undefined && <pre className="reports__detail">{error.detail}</pre>}
        </div>
      )}
      {problems.map((p, i) => (
        <div key={i} className="banner banner--warning" role="alert">
          <p className="banner__message">{p.message}</p>
        </div>
      ))}
    </>
  );
}
