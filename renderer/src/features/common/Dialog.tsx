/**
 * A modal dialog on the native <dialog> (showModal makes the page behind it inert), with a labelled title, focus
 * kept inside on Tab / Shift+Tab, Escape to close, and focus handed back to whatever opened it.
 */
import { useEffect, useId, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** A line under the title (e.g. "Host 2 of 3 from ~/.ssh/config"). */
  readonly subtitle?: string;
  readonly wide?: boolean;
  readonly tone?: 'danger';
}

export function Dialog({ title, subtitle, onClose, children, wide, tone }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  const mounted = useRef(false);
  const openerRef = useRef<HTMLElement | null>(null);
  useLayoutEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const d = ref.current;
    if (d === null) return undefined;
    // Kept in a ref: under StrictMode the effect runs twice, and the second time focus is already inside.
    if (openerRef.current === null && document.activeElement instanceof HTMLElement) openerRef.current = document.activeElement;
    const opener = openerRef.current;
    mounted.current = true;
    if (!d.open) d.showModal();
    const first = d.querySelector<HTMLElement>('[data-autofocus]') ?? d.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => {
      // Removing a <dialog> from the page ends its modal state; no close() here, which would fire 'close' later.
      mounted.current = false;
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || ref.current === null) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
    const first = items[0];
    const last = items[items.length - 1];
    if (first === undefined || last === undefined) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog--wide' : ''}${tone === 'danger' ? ' dialog--danger' : ''}`}
      aria-labelledby={titleId}
      aria-modal="true"
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        // Escape: the store decides (it closes); the native dialog must not close behind React's back.
        e.preventDefault();
        onCloseRef.current();
      }}
      onClose={() => {
        // The browser closed it on its own (a second Escape): tell the store.
        if (mounted.current) onCloseRef.current();
      }}
    >
      <header className="dialog__header">
        <h2 id={titleId}>{title}</h2>
        {subtitle !== undefined && <p className="dialog__subtitle">{subtitle}</p>}
        <button type="button" className="icon-button" aria-label="Close dialog" onClick={() => onCloseRef.current()}>
          ×
        </button>
      </header>
      <div className="dialog__body">{children}</div>
    </dialog>
  );
}
