/** Right of the hosts: all hosts' VMs, or one host with its header, its notices and two tabs (VMs, details). */
import { useId } from 'react';
import { useActions, useFerry } from '../../store/react';
import { countOf, formatCount } from '../../view/format';
import { ConnectionPanel } from '../host/ConnectionPanel';
import { HostDetail } from '../host/HostDetail';
import { HostHeader } from '../host/HostHeader';
import { VmPane } from './VmPane';
import { PathPanel } from '../network/PathPanel';
import { AuditPanel } from '../network/AuditPanel';
import { TuningPanel } from '../network/TuningPanel';
import { TroubleshootPanel } from '../network/TroubleshootPanel';
import type { DetailTab } from '../../store/types';

export function MainPane() {
  const hostId = useFerry((s) => s.ui.selectedHostId);
  const tab = useFerry((s) => s.ui.tab);
  const hostCount = useFerry((s) => Object.keys(s.inventory.hosts).length);
  const vmCount = useFerry((s) => (hostId === null ? undefined : s.inventory.hosts[hostId]?.vms?.length));
  const { setTab } = useActions();
  const ids = useId();

  if (hostId === null) {
    return (
      <section className="main-pane" role="region" aria-label="All hosts">
        <header className="main-pane__header">
          <h2>All hosts</h2>
          <span className="muted">{countOf(hostCount, 'host')}</span>
        </header>
        <VmPane />
      </section>
    );
  }
  const tabs = [
    { id: 'vms', label: vmCount === undefined ? 'Virtual machines' : `Virtual machines (${formatCount(vmCount)})` },
    { id: 'details', label: 'Host details' },
    { id: 'path', label: 'Network path' },
    { id: 'audit', label: 'Readiness audit' },
    { id: 'tuning', label: 'Tuning' },
    { id: 'logs', label: 'Troubleshooting' },
  ] as const satisfies readonly { id: DetailTab; label: string }[];
  return (
    <section className="main-pane" aria-labelledby={`${ids}-title`}>
      <HostHeader id={hostId} titleId={`${ids}-title`} />
      <ConnectionPanel id={hostId} />
      <div className="tabs" role="tablist" aria-label="Host views">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${ids}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${ids}-panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
              const i = tabs.findIndex((x) => x.id === t.id);
              const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!.id;
              setTab(next);
              document.getElementById(`${ids}-tab-${next}`)?.focus();
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${ids}-panel-${tab}`} aria-labelledby={`${ids}-tab-${tab}`} className="tabpanel">
        {tab === 'vms' ? (
          <VmPane />
        ) : tab === 'details' ? (
          <HostDetail id={hostId} />
        ) : tab === 'path' ? (
          <PathPanel hostId={hostId} />
        ) : tab === 'audit' ? (
          <AuditPanel hostId={hostId} />
        ) : tab === 'tuning' ? (
          <TuningPanel hostId={hostId} />
        ) : (
          <TroubleshootPanel hostId={hostId} />
        )}
      </div>
    </section>
  );
}
