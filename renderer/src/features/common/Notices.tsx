/**
 * The store's notices. Errors are banners above the console and stay until dismissed; confirmations ("Added hvA.")
 * are small toasts over the bottom corner that fade on their own, so they never push the inventory down.
 */
import { useActions, useFerryShallow } from '../../store/react';
import { ErrorBanner } from './ErrorBanner';

export function Notices() {
  const errors = useFerryShallow((s) => s.notices.filter((n) => n.tone === 'error'));
  const confirmations = useFerryShallow((s) => s.notices.filter((n) => n.tone === 'info'));
  const { dismissNotice } = useActions();
  return (
    <>
      {errors.length > 0 && (
        <section className="notices" aria-label="Notifications">
          {errors.map((n) => (
            <ErrorBanner
              key={n.id}
              tone="error"
              message={n.message}
              {...(n.code !== undefined ? { code: n.code } : {})}
              {...(n.detail !== undefined ? { detail: n.detail } : {})}
              onDismiss={() => dismissNotice(n.id)}
            />
          ))}
        </section>
      )}
      {confirmations.length > 0 && (
        <section className="toasts" aria-label="Confirmations">
          {confirmations.map((n) => (
            <ErrorBanner key={n.id} tone="info" message={n.message} onDismiss={() => dismissNotice(n.id)} />
          ))}
        </section>
      )}
    </>
  );
}
