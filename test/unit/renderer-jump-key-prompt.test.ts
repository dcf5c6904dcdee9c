// The add-host dialog's key prompt says when the key it asks about is a jump host's, not the host's being added.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TestOutcome } from '../../renderer/src/features/add-host/TestOutcome';

const key = { host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:tAZCZbYt4zFs5JQ5i3a/INswSde16EkB6baTBE5+1x4' };
const text = (address: string): string =>
  renderToStaticMarkup(createElement(TestOutcome, { outcome: { outcome: 'host-key-unknown', key }, trusting: false, onTrust: () => undefined, address })).replace(/<[^>]+>/g, '');

describe('the key prompt of a host behind a jump host', () => {
  it('names the jump host when the key came from it', () => {
    expect(text('10.77.1.13')).toContain('Ferry has never connected to the jump host 10.77.0.11.');
  });
  it('says nothing of a jump host when the key is the host’s own', () => {
    expect(text(' 10.77.0.11 ')).toContain('Ferry has never connected to 10.77.0.11.');
  });
});
