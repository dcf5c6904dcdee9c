/**
 * Every `virsh migrate` option, grouped as an admin thinks of them. What most migrations touch is on top (transport,
 * convergence, the destination's copy, storage); the network, the streams and the rarely used flags sit in
 * "Advanced", which opens by itself when one of them is set. A setting that only tunes another one (auto-converge's
 * throttle, the post-copy bandwidth, the TLS name...) appears once that one is on, or when it is set anyway (so a
 * flagged value can still be seen and cleared). Options named in a problem are highlighted. Post-copy, once allowed,
 * says what it risks between these two hosts (whether a broken post-copy could be resumed).
 */
import { useEffect, useId, useState } from 'react';
import type { PostcopyRecovery } from '../../../../shared/migration/postcopy';
import { useActions } from '../../store/react';
import { PostcopyRiskNote } from './PostcopyRisk';
import { CompressionMethods, DisksField, Flag, NumberField, TextField, type FieldProps } from './optionFields';
import { ADVANCED_OPTIONS, shows } from './optionsView';

/**
 * The state of a fold (<details>) that opens by itself when `wanted` turns true and otherwise follows the admin's
 * clicks: it never closes under the cursor because an option changed.
 */
export function useFold(wanted: boolean): { open: boolean; onToggle: (e: { currentTarget: HTMLDetailsElement }) => void } {
  const [open, setOpen] = useState(wanted);
  useEffect(() => {
    if (wanted) setOpen(true);
  }, [wanted]);
  return { open, onToggle: (e) => setOpen(e.currentTarget.open) };
}

/** `recovery`: whether the two hosts can resume a broken post-copy (the post-copy options say what they risk). */
export function OptionsForm({ options, flagged, disabled, recovery }: FieldProps & { disabled: boolean; recovery: PostcopyRecovery }) {
  const { setMigrateOption } = useActions();
  const riskId = useId();
  const f = { options, flagged };
  const fold = useFold(ADVANCED_OPTIONS.some((k) => options[k] !== undefined || flagged.has(k)));
  return (
    <>
      <div className="options-grid">
        <fieldset className="options-group" disabled={disabled}>
          <legend>Transport</legend>
          <Flag {...f} k="live" label="Live (guest keeps running)" />
          <Flag {...f} k="p2p" label="Peer-to-peer" />
          <Flag {...f} k="tunnelled" label="Tunnelled through libvirtd" />
          <Flag {...f} k="tls" label="TLS" />
          {shows(options, 'tls', 'tlsDestination') && (
            <div className="option--sub">
              <TextField {...f} k="tlsDestination" label="TLS destination name" placeholder="as in the destination's certificate" />
            </div>
          )}
          <Flag {...f} k="rdmaPinAll" label="RDMA, pin all memory" />
        </fieldset>

        <fieldset className="options-group" disabled={disabled}>
          <legend>Convergence</legend>
          <Flag {...f} k="autoConverge" label="Auto-converge (throttle a busy guest)" />
          {shows(options, 'autoConverge', 'autoConvergeInitial', 'autoConvergeIncrement') && (
            <div className="option--sub">
              <NumberField {...f} k="autoConvergeInitial" label="Initial throttle" unit="%" min={1} max={99} placeholder="20" />
              <NumberField {...f} k="autoConvergeIncrement" label="Throttle increment" unit="%" min={1} max={99} placeholder="10" />
            </div>
          )}
          <Flag {...f} k="postcopy" label="Allow post-copy" describedBy={riskId} />
          {shows(options, 'postcopy', 'postcopyAfterPrecopy', 'postcopyBandwidthMiBps') && (
            <div className="option--sub">
              <PostcopyRiskNote recovery={recovery} id={riskId} />
              <Flag {...f} k="postcopyAfterPrecopy" label="Switch to post-copy after the first pass" describedBy={riskId} />
              <NumberField {...f} k="postcopyBandwidthMiBps" label="Post-copy bandwidth" unit="MiB/s" min={1} />
            </div>
          )}
          <NumberField {...f} k="bandwidthMiBps" label="Bandwidth cap" unit="MiB/s" min={1} />
          <NumberField {...f} k="maxDowntimeMs" label="Max downtime" unit="ms" min={1} placeholder="300" />
          <NumberField {...f} k="timeoutSec" label="Timeout" unit="s" min={1} />
          {(options.timeoutSec !== undefined || options.timeoutAction !== undefined) && (
            <div className="option--sub">
              <label className={`option option--number${flagged.has('timeoutAction') ? ' option--flagged' : ''}`} title="--timeout-suspend / --timeout-postcopy">
                <span>On timeout</span>
                <select className="input" value={options.timeoutAction ?? 'suspend'} onChange={(e) => setMigrateOption('timeoutAction', e.target.value === 'postcopy' ? 'postcopy' : 'suspend')}>
                  <option value="suspend">suspend the guest</option>
                  <option value="postcopy">switch to post-copy</option>
                </select>
              </label>
            </div>
          )}
        </fieldset>

        <fieldset className="options-group" disabled={disabled}>
          <legend>On the destination</legend>
          <Flag {...f} k="persistent" label="Define on the destination" />
          <Flag {...f} k="undefineSource" label="Undefine on the source" />
          <Flag {...f} k="suspend" label="Leave paused on the destination" />
          <TextField {...f} k="dname" label="Name on the destination" placeholder="same name" />
        </fieldset>

        <fieldset className="options-group" disabled={disabled}>
          <legend>Storage</legend>
          <Flag {...f} k="copyStorageAll" label="Copy whole disks (non-shared storage)" />
          <Flag {...f} k="copyStorageInc" label="Copy the top image layer only" />
          {(options.copyStorageAll === true || options.copyStorageInc === true || options.migrateDisks !== undefined) && (
            <div className="option--sub">
              <DisksField {...f} />
            </div>
          )}
          <Flag {...f} k="abortOnError" label="Abort on a disk I/O error" />
        </fieldset>
      </div>

      <details className="migrate-form__advanced" {...fold}>
        <summary>Advanced: network, streams, rarely used</summary>
        <div className="options-grid">
          <fieldset className="options-group" disabled={disabled}>
            <legend>Network</legend>
            <TextField {...f} k="migrateUri" label="Migration URI" placeholder="tcp://10.77.2.12 (a dedicated network)" />
            <TextField {...f} k="listenAddress" label="Listen address" placeholder="the destination QEMU's address" />
          </fieldset>
          <fieldset className="options-group" disabled={disabled}>
            <legend>Streams</legend>
            <Flag {...f} k="parallel" label="Parallel connections" />
            {shows(options, 'parallel', 'parallelConnections') && (
              <div className="option--sub">
                <NumberField {...f} k="parallelConnections" label="Connections" unit="" min={1} max={255} placeholder="2" />
              </div>
            )}
            <Flag {...f} k="compressed" label="Compressed" />
            {shows(options, 'compressed', 'compMethods') && <CompressionMethods {...f} />}
          </fieldset>
          <fieldset className="options-group" disabled={disabled}>
            <legend>Rarely used</legend>
            <Flag {...f} k="offline" label="Offline (move the definition only)" />
            <Flag {...f} k="direct" label="Direct (QEMU without libvirtd)" />
          </fieldset>
        </div>
      </details>
    </>
  );
}
