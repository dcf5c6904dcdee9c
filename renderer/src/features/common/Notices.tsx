/** The store's notices: errors stay until dismissed, confirmations fade on their own. */
import { useActions, useFerry } from '../../store/react';
import { ErrorBanner } from './ErrorBanner';

export function Notices() {
  const notices = useFerry((s) => s.notices);
  const { dismissNotice } = useActions();
  if (notices.length === 0) return null;
  return (
    <section className="notices" aria-label="Notifications">
      {notices.map((n) => (
        <ErrorBanner
          key={n.id}
          tone={n.tone}
          message={n.message}
          {...(n.code !== undefined && n.tone === 'error' ? { code: n.code } : {})}
          {...(n.detail !== undefined ? { detail: n.detail } : {})}
          onDismiss={() => dismissNotice(n.id)}
        />
      ))}
    </section>
  );
}
