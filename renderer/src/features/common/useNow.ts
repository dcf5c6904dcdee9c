import { useEffect, useState } from 'react';

/** The current time, re-read every `periodMs`, for "refreshed 12 s ago" labels. */
export function useNow(periodMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}
