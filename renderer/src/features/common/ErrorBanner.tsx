/** An error as Ferry reports it: the message for a person, and the raw evidence (stderr, libvirt's text) on demand. */
import type { ReactNode } from 'react';

export interface ErrorBannerProps {
  readonly message: string;
  readonly code?: string;
  readonly detail?: string;
  readonly onDismiss?: () => void;
  readonly tone?: 'error' | 'warning' | 'info';
  /** Extra actions (e.g. "Reconnect"). */
  readonly children?: ReactNode;
}

export function ErrorBanner({ message, code, detail, onDismiss, tone = 'error', children }: ErrorBannerProps) {
  return (
    <div className={`banner banner--${tone}`} role={tone === 'info' ? 'status' : 'alert'}>
      <div className="banner__text">
        <p className="banner__message">{message}</p>
        {(detail !== undefined || code !== undefined) && (
          <details className="banner__detail">
            <summary>Details</summary>
            {code !== undefined && <p className="mono">Code: {code}</p>}
            {detail !== undefined && <pre>{detail}</pre>}
          </details>
        )}
      </div>
      <div className="banner__actions">
        {children}
        {onDismiss !== undefined && (
          <button type="button" className="button button--quiet" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}
