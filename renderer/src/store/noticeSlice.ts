/** Error banners (stay until dismissed) and short confirmations (go away by themselves). */
import type { Notice, NoticeSlice, SliceCreator } from './types';

export const createNoticeSlice: SliceCreator<NoticeSlice> = (set, get, { infoNoticeMs }) => {
  let nextId = 1;
  return {
    notices: [],
    notify(n) {
      const id = nextId++;
      const notice: Notice = { ...n, id };
      // Keep the list short: an admin reads the last few, not a log.
      set((s) => ({ notices: [...s.notices.slice(-4), notice] }));
      if (n.tone === 'info' && infoNoticeMs > 0) setTimeout(() => get().dismissNotice(id), infoNoticeMs);
      return id;
    },
    notifyError(error, prefix) {
      const message = prefix === undefined ? error.message : `${prefix}: ${error.message}`;
      return get().notify(
        error.detail === undefined ? { tone: 'error', message, code: error.code } : { tone: 'error', message, code: error.code, detail: error.detail },
      );
    },
    dismissNotice(id) {
      set((s) => (s.notices.some((n) => n.id === id) ? { notices: s.notices.filter((n) => n.id !== id) } : {}));
    },
  };
};
