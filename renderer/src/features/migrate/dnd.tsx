/**
 * Drag a VM onto a host to migrate it (@dnd-kit/core). The grid's rows are draggable (a pointer must move 6 px
 * first, so a click still selects the row); each host in the hosts list is a drop target that refuses, with the
 * reason, the VM's own host, a host in maintenance and any host that is not connected. Dropping opens the migrate dialog pre-filled.
 * Keyboard users have the "Migrate…" button on the selected VM (the rows are not focusable: the grid moves its
 * selection with aria-activedescendant), so the keyboard sensor only serves focusable drag handles.
 */
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  rectIntersection,
  useDndContext,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { useState, type ReactNode } from 'react';
import { dropRefusal } from '../../store/migrationSlice';
import { useActions, useFerry } from '../../store/react';

interface VmDragData {
  readonly kind: 'vm';
  readonly key: string;
  readonly hostId: string;
  readonly vmName: string;
}
interface HostDropData {
  readonly kind: 'host';
  readonly hostId: string;
}

/** For VmRow: spread `props` on the row, pass `ref`. Clicks and the row's own semantics stay as they were. */
export function useVmDrag(key: string, hostId: string, vmName: string) {
  const data: VmDragData = { kind: 'vm', key, hostId, vmName };
  const { setNodeRef, listeners, isDragging } = useDraggable({ id: `vm:${key}`, data });
  return { ref: setNodeRef, props: { ...listeners, 'data-dragging': isDragging ? 'true' : undefined }, isDragging };
}

/** For HostListItem: the drop target, and while a VM is dragged over it, whether it takes it (and why not). */
export function useHostDrop(hostId: string) {
  const { setNodeRef, isOver } = useDroppable({ id: `host:${hostId}`, data: { kind: 'host', hostId } satisfies HostDropData });
  const { active } = useDndContext();
  const host = useFerry((s) => s.inventory.hosts[hostId]);
  const drag = active?.data.current as VmDragData | undefined;
  const refusal = drag?.kind === 'vm' ? dropRefusal(drag.hostId, host) : null;
  const className = drag?.kind !== 'vm' ? '' : refusal === null ? (isOver ? ' is-drop-over' : ' is-drop-target') : isOver ? ' is-drop-refused' : ' is-drop-disabled';
  return { ref: setNodeRef, className, refusal: drag?.kind === 'vm' ? refusal : null, isOver };
}

/**
 * The host under the pointer is the target, not the host the dragged row's box overlaps: in the scrolled,
 * virtualised VM grid the row's box is measured where it sat before scrolling, so a box test dropped lower rows on
 * the host above the pointer (seen in the lab E2E: "The VM already runs on hvA"). Without a pointer (the keyboard
 * sensor) the box test is all there is.
 */
export const dropTargetUnderPointer: CollisionDetection = (args) => (args.pointerCoordinates === null ? rectIntersection(args) : pointerWithin(args));

export function MigrateDnd({ children }: { children: ReactNode }) {
  const { openMigrate, notify } = useActions();
  const [dragged, setDragged] = useState<VmDragData | null>(null);
  const over = useFerry((s) => s.inventory.hosts);
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), useSensor(KeyboardSensor));
  const onDragStart = (e: DragStartEvent) => {
    const d = e.active.data.current as VmDragData | undefined;
    setDragged(d?.kind === 'vm' ? d : null);
  };
  const onDragEnd = (e: DragEndEvent) => {
    setDragged(null);
    const d = e.active.data.current as VmDragData | undefined;
    const target = e.over?.data.current as HostDropData | undefined;
    if (d?.kind !== 'vm' || target?.kind !== 'host') return;
    const refusal = dropRefusal(d.hostId, over[target.hostId]);
    if (refusal !== null) {
      if (target.hostId !== d.hostId) notify({ tone: 'error', message: `Cannot migrate ${d.vmName} there: ${refusal}` });
      return;
    }
    openMigrate(d.key, target.hostId);
  };
  return (
    <DndContext sensors={sensors} collisionDetection={dropTargetUnderPointer} onDragStart={onDragStart} onDragEnd={onDragEnd} onDragCancel={() => setDragged(null)}>
      {children}
      <DragOverlay dropAnimation={null}>{dragged === null ? null : <div className="drag-ghost">⇢ {dragged.vmName} — drop on a host to migrate</div>}</DragOverlay>
    </DndContext>
  );
}
