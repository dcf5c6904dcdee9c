// Web mode with a token that is not the running Ferry's (mistyped, or left from before a restart): the page says
// so and where the right URL is, stops trying, and never sits on "Loading inventory…". Needs no lab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newPage, screenshot, startWebFerry, type WebFerry } from './harness';

describe('web mode with a wrong token', () => {
  let ferry: WebFerry;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ferry = await startWebFerry();
    browser = await launchChromium();
    page = await newPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await ferry?.stop();
  });

  it('says the token is wrong or Ferry was restarted, and how to get the URL; it stops reconnecting', async () => {
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const wrong = new URL(ferry.url);
    wrong.searchParams.set('token', 'A'.repeat(43));
    await page.goto(wrong.toString());
    const banner = page.locator('.banner--bar').filter({ hasText: 'access token' });
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toMatch(/refused this page’s access token: it is wrong, or Ferry was restarted.*terminal that started `npm run web`/s);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'The inventory is not loaded' }).count()).toBe(1);
    expect(await page.getByText('Loading inventory…').count()).toBe(0);
    expect(await page.getByText(/reconnecting/).count()).toBe(0);
    expect(await page.getByText(/refused this page’s access token/).count()).toBe(1); // said once, not again as a notice
    await screenshot(page, 'web-token-wrong');
    // Three seconds later (ten backoff periods at the start): still the one socket, still the same message.
    await new Promise((r) => setTimeout(r, 3000));
    expect(sockets).toHaveLength(1);
    expect(await banner.isVisible()).toBe(true);
  });

  it('refuses a second web Ferry on the same data directory, naming the first one; the first keeps serving', async () => {
    // Two owners would each write inventory.json back over the other's hosts.
    const second = startWebFerry({ dataDir: ferry.dataDir });
    await expect(second).rejects.toThrow(/exited \(1\) before printing its URL:\n.*Another Ferry is using the data directory .* \(pid \d+ on .+, web, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\. Close that Ferry first/s);
  });

  it('works again with the URL the terminal printed', async () => {
    await page.goto(ferry.url);
    await page.getByRole('region', { name: 'No hosts' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').filter({ hasText: 'access token' }).count()).toBe(0);
  });
});
