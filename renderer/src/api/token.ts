/**
 * Web mode's access token arrives in the page URL (`/?token=...`). It is kept in sessionStorage for reloads of
 * this tab and removed from the address bar, so it does not sit in screenshots or the tab's history.
 */
export interface HistoryLike {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url: string): void;
}
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const TOKEN_PARAM = 'token';
const STORAGE_KEY = 'ferry.webToken';

export function takeWebToken(location: { readonly href: string }, history: HistoryLike, storage: StorageLike | undefined): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(TOKEN_PARAM);
  if (fromUrl) {
    try {
      storage?.setItem(STORAGE_KEY, fromUrl);
      url.searchParams.delete(TOKEN_PARAM);
      history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
    } catch {
      // No storage: keep the token in the URL so a reload still works.
    }
    return fromUrl;
  }
  try {
    return storage?.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}
