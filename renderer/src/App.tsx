export function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: '2rem', maxWidth: '48rem' }}>
      <h1>Ferry</h1>
      <p>
        Live migration console for libvirt/QEMU hosts. This build contains the foundation: the SSH and virsh core and
        the lab it is tested against. The host inventory and the migrate view come next.
      </p>
    </main>
  );
}
