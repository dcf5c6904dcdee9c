/** The exact command line that will run on the source, monospace and copyable. */
import { useState } from 'react';

export function CommandLine({ line, host, missing }: { line: string | undefined; host: string; missing: string }) {
  const [copied, setCopied] = useState(false);
  if (line === undefined) return <p className="muted">{missing}</p>;
  return (
    <div className="command-line">
      <div className="command-line__head">
        <span className="muted">Runs on {host}:</span>
        <button
          type="button"
          className="button button--quiet"
          onClick={() => {
            void navigator.clipboard?.writeText(line).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? 'Copied' : 'Copy command'}
        </button>
      </div>
      <pre className="mono" aria-label="Command line" tabIndex={0}>
        {line}
      </pre>
    </div>
  );
}
