// What an operator sees of a blocked refund in the Temporal UI itself: a real headless Chromium
// opens the packet's page in a dev server's UI and finds the refusal and the next step there.
// The shared dev server of the other suites runs without its UI, so this file starts its own.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevServer, type RunningDevServer } from '../../embedded/dev-server';
import { workflowIdFor } from '../../workflows/messages';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { restartableDevServerOptions } from '../helpers/restartable-dev-server';
import { detailLines, uiMetadata } from '../helpers/ui-metadata';

const REFUND = 'alipay.fund.coupon.order.refund';
const UI_TIMEOUT_MS = 60_000;

/** The headless Chromium that scripts/install-chromium.sh unpacks. Missing, the test fails: never skipped. */
function chromiumExecutable(): string {
  const path = join(__dirname, '..', '..', '.tools', 'chromium', 'chromium');
  if (!existsSync(path)) throw new Error(`no headless Chromium at ${path}: run \`npm run install:chromium\``);
  return path;
}

/** Text as the page shows it: runs of whitespace (line breaks, markdown reflow) as one space. */
const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The text of the page and of every frame in it (the UI renders the details in a frame of their own). */
async function textOf(page: Page): Promise<string> {
  const texts = await Promise.all(
    page.frames().map(
      (frame) =>
        frame
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => ''), // a frame navigating or detached right now: read it on the next poll
    ),
  );
  return flat(texts.join('\n'));
}

const undoSmartQuotes = (text: string) => text.replace(/[‘’]/g, "'");

const dir = mkdtempSync(join(tmpdir(), 'ui-'));
let server: RunningDevServer;
let connection: Connection;
let nativeConnection: NativeConnection;
let env: LifecycleEnv;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer(await restartableDevServerOptions(dir));
  connection = await Connection.connect({ address: server.address });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  env = await startLifecycleEnv(new Client({ connection }), nativeConnection);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
  await nativeConnection?.close();
  await connection?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a blocked refund in the Temporal UI', () => {
  it("shows Alipay's refusal and the next step in the packet's current details", async () => {
    // First, and in the test rather than in beforeAll: a missing browser fails this test, never skips it.
    browser = await chromium.launch({
      executablePath: chromiumExecutable(),
      args: ['--disable-background-networking'],
    });
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'claimant', ttlMs: 60_000 });
    await env.packets.claim(authNo, { claimId: 'c1', payeeUserId: '2088000000000001', amountFen: 300 });
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.claims[0]?.status === 'PAID',
    );
    await env.packets.closeNow(authNo);
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
    );
    // What the workflow says; the page must show the same words.
    const details = detailLines((await uiMetadata(env.packets.handle(authNo))).currentDetails);
    const refundLine = details.get('Refund') ?? '';
    const nextStep = details.get('Next step') ?? '';
    expect(refundLine).toContain('REFUND_NOT_ALLOWED');
    expect(nextStep).toContain('retryRefund');

    const page = await browser.newPage();
    const url = `${server.uiUrl}/namespaces/default/workflows/${workflowIdFor(authNo)}`;
    try {
      // Not 'load': the single-page app keeps fetching; the details arrive by the UI's own query.
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: UI_TIMEOUT_MS });
      // The current details are not on the page the link opens: they sit in the User Metadata tab.
      await page.getByText('User Metadata', { exact: true }).first().click({ timeout: UI_TIMEOUT_MS });
      const shown = await eventually(
        () => textOf(page),
        (text) => text.includes('Next step:'),
        UI_TIMEOUT_MS,
      );
      expect(shown).toContain('REFUND_NOT_ALLOWED');
      expect(shown).toContain('Next step:');
      // The command is shown as code: copied from the page, it runs as it is.
      expect(shown).toContain(
        `temporal workflow signal --workflow-id ${workflowIdFor(authNo)} --name retryRefund`,
      );
      // The rest is markdown with smart punctuation (' becomes ’): compared with that undone.
      expect(undoSmartQuotes(shown)).toContain(flat(`Refund: ${refundLine}`));
      expect(undoSmartQuotes(shown)).toContain(flat(`Next step: ${nextStep.replaceAll('`', '')}`));
    } catch (error) {
      const screenshot = join(tmpdir(), `blocked-packet-ui-${authNo}.png`);
      await page.screenshot({ path: screenshot, fullPage: true }).catch(() => undefined);
      throw new Error(`${url}: ${String(error)} (screenshot: ${screenshot})`, { cause: error });
    } finally {
      await page.close();
    }
  }, 180_000);
});
