/** The shape of Ferry's one renderer store: typed slices (data + actions), composed in store/index.ts. */
import type { FerryError } from '../../../shared/errors';
import type { HostTestOutcome, Settings } from '../../../shared/ipc/contract';
import type { OutputOf } from '../../../shared/ipc/define';
import type { appInfo } from '../../../shared/ipc/contract';
import type { HostRecord, HostView, JumpHop, SshConfigCandidate, VmState } from '../../../shared/inventory/types';
import type { DraftField, DraftFields, FieldErrors } from '../view/draft';
import type { VmColumn, VmFilter, VmSort } from '../view/vmRows';
import type { FerryApi } from './ports';
import type { MigrationControl, MigrationControlAction } from '../../../shared/migration/controls';
import type { OptionChange, PredictionInputs } from '../../../shared/migration/predict-schema';
import type { PreflightResultView } from '../../../shared/migration/preflight-result';
import type { MigrationRun } from './migrationPort';
import type { EvacuationSlice } from './evacuationSlice';
import type { MigrationOptionKey, MigrationOptions, MigrationProfile, OptionProblem } from '../../../shared/migration/options';

// ---- inventory -------------------------------------------------------------------------------------------------

export type WatchStatus = { status: 'idle' } | { status: 'watching' } | { status: 'ended'; error?: FerryError };
/** A request in flight for one host, so its buttons can show it and refuse a second click. */
export type HostOp = 'refreshing' | 'removing' | 'unlocking' | 'trusting';

export interface InventoryData {
  readonly hosts: Readonly<Record<string, HostView>>;
  /** The first snapshot has arrived (until then the view shows a loading state, not an empty one). */
  readonly loaded: boolean;
  readonly watch: WatchStatus;
  readonly pending: Readonly<Record<string, HostOp>>;
}

export interface InventorySlice {
  readonly inventory: InventoryData;
  /** Subscribes to inventoryWatch (reference-counted); call the returned function to release. */
  watchInventory(): () => void;
  /** Opens the subscription again after main ended it (only while something still watches). */
  reconnectInventory(): void;
  refreshHost(id?: string): Promise<void>;
  /** Unlocks a saved host's encrypted key; resolves to the error to show next to the passphrase field, or null. */
  unlockHost(id: string, passphrase: string): Promise<FerryError | null>;
  /** Trusts the key a saved host presented (state host-key-unknown), then refreshes that host. */
  trustSavedHostKey(id: string): Promise<void>;
}

// ---- ui --------------------------------------------------------------------------------------------------------

export type DetailTab = 'vms' | 'details' | 'path' | 'audit' | 'tuning' | 'logs';
export interface UiData {
  /** null: all hosts. */
  readonly selectedHostId: string | null;
  readonly selectedVmKey: string | null;
  readonly tab: DetailTab;
  readonly filter: VmFilter;
  readonly sort: VmSort;
}
export interface UiSlice {
  readonly ui: UiData;
  selectHost(id: string | null): void;
  selectVm(key: string | null): void;
  setTab(tab: DetailTab): void;
  setFilterText(text: string): void;
  setStateFilter(state: VmState | 'all'): void;
  sortBy(column: VmColumn): void;
}

// ---- notifications ---------------------------------------------------------------------------------------------

export interface Notice {
  readonly id: number;
  readonly tone: 'error' | 'info';
  readonly message: string;
  readonly detail?: string;
  readonly code?: string;
}
export interface NoticeSlice {
  readonly notices: readonly Notice[];
  notify(n: Omit<Notice, 'id'>): number;
  notifyError(error: FerryError, prefix?: string): number;
  dismissNotice(id: number): void;
}

// ---- dialogs ---------------------------------------------------------------------------------------------------

export type AddHostPhase = 'editing' | 'testing' | 'trusting' | 'saving';
export interface ImportQueue {
  readonly candidates: readonly SshConfigCandidate[];
  /** Index of the candidate on screen. */
  readonly index: number;
}
export interface AddHostDialog {
  readonly kind: 'add-host';
  /** Bumped on every edit: an answer for an older revision of the form is dropped. */
  readonly rev: number;
  readonly fields: DraftFields;
  readonly errors: FieldErrors;
  readonly passphrase: string;
  /** The key turned out to be encrypted: show the passphrase field. */
  readonly askPassphrase: boolean;
  readonly source: 'manual' | 'ssh-config';
  readonly phase: AddHostPhase;
  /** The last test's answer for the fields as they are now. */
  readonly outcome?: HostTestOutcome;
  readonly error?: FerryError;
  readonly queue?: ImportQueue;
  /** Warnings the ssh config gave for this candidate. */
  readonly warnings: readonly string[];
  /** Editing a saved host (the same flow; saving updates it): its id and the record as it was when the dialog opened. */
  readonly edit?: { readonly hostId: string; readonly original: HostRecord };
  /** Jump hosts the ssh config resolved, each with its own key: a hop the jump field still names keeps it. */
  readonly jumpHops?: readonly JumpHop[];
}
export interface ImportDialog {
  readonly kind: 'import';
  readonly path: string;
  readonly phase: 'editing' | 'reading' | 'loaded';
  readonly result?: { readonly path: string; readonly candidates: readonly SshConfigCandidate[] };
  /** Indexes into result.candidates. */
  readonly selected: readonly number[];
  readonly error?: FerryError;
}
export interface ConfirmRemoveDialog {
  readonly kind: 'confirm-remove';
  readonly hostId: string;
  readonly busy: boolean;
  readonly error?: FerryError;
}
export interface SettingsDialog {
  readonly kind: 'settings';
  readonly phase: 'loading' | 'ready' | 'saving';
  readonly settings?: Settings;
  readonly error?: FerryError;
}
export type Dialog = AddHostDialog | ImportDialog | ConfirmRemoveDialog | SettingsDialog;

export interface DialogSlice {
  readonly dialog: Dialog | null;
  closeDialog(): void;
  // add host
  openAddHost(): void;
  /** The add-host form filled with a saved host, NIC roles included; saving updates it. */
  openEditHost(hostId: string): void;
  editHostField<K extends DraftField>(field: K, value: DraftFields[K]): void;
  setPassphrase(value: string): void;
  testConnection(): Promise<void>;
  trustPresentedKey(): Promise<void>;
  saveHost(): Promise<void>;
  skipCandidate(): void;
  // import
  openImport(): void;
  setImportPath(path: string): void;
  readSshConfig(): Promise<void>;
  toggleCandidate(index: number): void;
  importSelected(): void;
  // remove
  openRemoveHost(id: string): void;
  confirmRemoveHost(): Promise<void>;
  // settings
  openSettings(): Promise<void>;
  saveSettings(next: Settings): Promise<void>;
}

// ---- app -------------------------------------------------------------------------------------------------------

export type AppInfo = OutputOf<typeof appInfo>;
/** The transport's own state in web mode (the WebSocket); the desktop bridge is always 'open'. */
export type TransportStatus = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'no-token' | 'rejected';
export interface AppSlice {
  readonly app: { readonly info?: AppInfo; readonly transport: TransportStatus };
  loadAppInfo(): Promise<void>;
  /** Fed by main.tsx from the api's status events; a transport that comes back reopens an ended inventory stream. */
  setTransportStatus(status: TransportStatus): void;
}

// ---- migrations (store/migrationSlice.ts) ------------------------------------------------------------------------

export interface MigrateDraft {
  readonly sourceHostId: string;
  readonly vmName: string;
  /** null: not chosen yet. */
  readonly destinationHostId: string | null;
  readonly destinationAddress?: string | undefined;
  readonly destinationUser?: string | undefined;
  readonly destinationPort?: number | undefined;
  /** The profile the options came from; null once the admin changed an option by hand. */
  readonly profileId: string | null;
  readonly options: MigrationOptions;
  /** Everything wrong with the options, with the reason (errors block the start). */
  readonly problems: readonly OptionProblem[];
  /** The exact command line that will run on the source (undefined until there is a destination). */
  readonly commandLine?: string | undefined;
  readonly phase: 'editing' | 'checking' | 'starting';
  /** The checks the last start ran (main answers them with the start). */
  readonly preflight?: readonly PreflightResultView[] | undefined;
  /** Failed, overridable checks the admin confirmed starting despite (cleared when the options or destination change). */
  readonly overrides?: readonly string[] | undefined;
  readonly error?: FerryError | undefined;
  /**
   * What the prediction is made from for this VM and route (`key`): absent before a destination is chosen, then
   * being read (neither inputs nor error), read, or failed. The prediction itself is computed from it on screen.
   */
  readonly predictionInputs?: { readonly key: string; readonly inputs?: PredictionInputs; readonly error?: FerryError } | undefined;
  /** The trial pre-copy of this VM and route (`key`, as the inputs'), running or ended. */
  readonly trial?: DraftTrial | undefined;
}
export interface DraftTrial {
  readonly key: string;
  readonly running: boolean;
  /** Main's sentence for the last trial of the route, when it ended as planned (aborted, the abort verified). */
  readonly done?: string | undefined;
  /** Why the last trial gave no prediction, in main's words: it failed, or it completed (the VM moved). */
  readonly problem?: { readonly message: string; readonly detail?: string | undefined } | undefined;
}
export interface MigrationData {
  readonly draft: MigrateDraft | null;
  readonly profiles: readonly MigrationProfile[];
  readonly defaultProfileId: string;
  /** Every migration known (running and history), by id. */
  readonly runs: Readonly<Record<string, MigrationRun>>;
  /** The migration on screen in the migration view, or null. */
  readonly openRunId: string | null;
  /** Which remedy is being sent, so its button shows it. */
  readonly controlling: Readonly<Record<string, MigrationControlAction>>;
}
export interface MigrationSlice {
  readonly migration: MigrationData;
  /** Opens the migrate dialog for `<hostId>/<vmName>`, pre-filled with the default profile (and the drop target). */
  openMigrate(vmKey: string, destinationHostId?: string | null): void;
  closeMigrate(): void;
  setMigrateDestination(hostId: string | null): void;
  chooseProfile(id: string): void;
  setMigrateOption<K extends MigrationOptionKey>(key: K, value: MigrationOptions[K] | undefined): void;
  /** Starts (main runs pre-flight within it, once); on success the dialog closes and the migration view opens. */
  startMigration(): Promise<void>;
  /** The admin confirms (or withdraws) starting despite a failed check that is not certain. */
  confirmOverride(checkId: string, confirmed: boolean): void;
  /** Applies a failed check's one-click fix (`offline`: --offline --persistent, no --live). */
  applyRemedy(remedy: 'offline'): void;
  /** Applies a change the prediction says makes the migration converge (a cap, a max downtime, auto-converge, post-copy). */
  applyPredictedChange(change: OptionChange): void;
  /**
   * Runs a trial pre-copy of the draft's VM to its destination (the admin agreed to its cost), at the cap its cost
   * names; a second call while one runs for the route does nothing. Aborted as planned, the prediction inputs are
   * read again; otherwise main's message is kept for the dialog. It outlives the dialog (main journals it).
   */
  runTrial(): Promise<void>;
  /** Subscribes to migrations (reference-counted); call the returned function to release. */
  watchMigrations(): () => void;
  openRun(id: string | null): void;
  controlMigration(id: string, control: MigrationControl): Promise<void>;
}

export type FerryState = InventorySlice & UiSlice & NoticeSlice & DialogSlice & AppSlice & MigrationSlice & EvacuationSlice;

export type SetState = (update: (s: FerryState) => Partial<FerryState>) => void;
export type GetState = () => FerryState;
export interface StoreDeps {
  readonly api: FerryApi;
  /** ms after which an info notice goes away by itself; 0 keeps it. */
  readonly infoNoticeMs: number;
  readonly now: () => Date;
}
export type SliceCreator<T> = (set: SetState, get: GetState, deps: StoreDeps) => T;
