# shellcheck shell=bash
# `lab.sh prereq`: Debian packages, the libvirt-qemu account, the guest kernel and the busybox initramfs.
# Everything is cached, so a second run only checks (well under a second).

missing_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || printf '%s\n' "$p"
  done
}

apt_updated=0
apt_update_once() {
  ((apt_updated)) && return 0
  apt-get -q update -o DPkg::Lock::Timeout=300 >/dev/null
  apt_updated=1
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]})) || return 0
  say "prereq: installing ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
    "${missing[@]}" >/dev/null
}

# libvirt's QEMU driver will not initialise unless its compiled-in user exists, even with user = "root" in
# qemu.conf (pitfall P3). libvirt-daemon-system would create it but also wants to start services.
ensure_qemu_account() {
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null ||
    useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
}

# The guest kernel is taken out of Debian's cloud kernel package without installing it (no initramfs-tools, no
# bootloader hooks). Its 8250 console, devtmpfs, tmpfs and initrd support are built in.
fetch_kernel() {
  [[ -s $GUEST_DIR/vmlinuz ]] && return 0
  local pkg deb
  pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  if [[ -z $pkg ]]; then
    apt_update_once
    pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
  fi
  [[ -n $pkg ]] || die "cannot resolve linux-image-cloud-amd64 to a kernel package"
  mkdir -p "$CACHE_DIR/kernel" "$GUEST_DIR"
  (cd "$CACHE_DIR/kernel" && { compgen -G "${pkg}_*.deb" >/dev/null || apt-get download -q "$pkg" >/dev/null 2>&1; })
  deb=$(compgen -G "$CACHE_DIR/kernel/${pkg}_*.deb") || deb=''
  deb=${deb%%$'\n'*}
  [[ -n $deb ]] || die "apt-get download $pkg failed"
  rm -rf "$CACHE_DIR/kernel/x"
  dpkg-deb -x "$deb" "$CACHE_DIR/kernel/x"
  cp "$CACHE_DIR/kernel/x/boot/vmlinuz-${pkg#linux-image-}" "$GUEST_DIR/vmlinuz.new"
  mv "$GUEST_DIR/vmlinuz.new" "$GUEST_DIR/vmlinuz"
  rm -rf "$CACHE_DIR/kernel/x"
  say "prereq: guest kernel $pkg"
}

# Rebuilt only when init.sh or busybox changed (the stamp is their checksum).
build_initramfs() {
  local stamp stage
  stamp=$(cat "$LAB_SRC/guest/init.sh" /bin/busybox | sha256sum | cut -d' ' -f1)
  [[ -s $GUEST_DIR/initrd.gz && $(cat "$GUEST_DIR/initrd.stamp" 2>/dev/null) == "$stamp" ]] && return 0
  stage=$CACHE_DIR/initramfs
  rm -rf "$stage"
  mkdir -p "$stage"/{bin,dev,proc,sys,tmp} "$GUEST_DIR"
  cp /bin/busybox "$stage/bin/busybox"
  local applet
  for applet in sh mount echo cat sleep dd grep uname; do ln -s busybox "$stage/bin/$applet"; done
  install -m 755 "$LAB_SRC/guest/init.sh" "$stage/init"
  mknod -m 600 "$stage/dev/console" c 5 1
  mknod -m 666 "$stage/dev/null" c 1 3
  # Debian has no cpio package; busybox's applet writes the newc format the kernel wants.
  (cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$GUEST_DIR/initrd.gz.new")
  mv "$GUEST_DIR/initrd.gz.new" "$GUEST_DIR/initrd.gz"
  printf '%s\n' "$stamp" >"$GUEST_DIR/initrd.stamp"
  rm -rf "$stage"
  say "prereq: guest initramfs built"
}

prereq_ready() {
  [[ -z $(missing_packages) ]] && getent passwd libvirt-qemu >/dev/null && [[ -s $GUEST_DIR/vmlinuz && -s $GUEST_DIR/initrd.gz ]]
}

cmd_prereq() {
  require_root
  take_lock
  local t0
  t0=$(now)
  install_packages
  ensure_qemu_account
  fetch_kernel
  build_initramfs
  say "prereq: ready in $(since "$t0") ($GUEST_DIR)"
}
