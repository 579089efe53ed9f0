// The page as a workspace, in real Chromium at desktop (1280×800) and phone (390×844) width, against
// the real server: the newest answer stays in view above the composer, the source card never covers
// the answer, a dropped RIS export is ingested with visible progress and answers without a restart,
// a conversation survives a reload and a server restart at its /c/<id> address, the evidence table
// exports a CSV row per cited sentence, and "Ask about these" limits the citations to the chosen
// papers. Controls are found by role and name, as a keyboard or screen-reader user finds them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../src/server/app.js';
import { LiveIndex } from '../src/server/live-index.js';
import { startServing } from '../src/server/start-serving.js';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { fixture, ROOT, SHARED_FIXTURES, tempDir, testConfig } from './helpers.js';
import { startTestServer, type TestServer } from './server-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
// A real RIS export (rispy's test file, from a database export); the project's own sample when ../shared is absent.
const SHARED_RIS = path.join(SHARED_FIXTURES, 'ris', 'example_empty_tag.ris');
const RIS = existsSync(SHARED_RIS) ? SHARED_RIS : fixture('sample.ris');
if (!existsSync(SHARED_RIS)) console.warn(`Dropping test/fixtures/sample.ris: ${SHARED_RIS} is absent.`);
const RIS_QUESTION = existsSync(SHARED_RIS) ? 'Which outcome measures are used after shoulder stabilization in athletes?' : 'How do ward staff experience working with peer support workers?';
const RIS_TITLE = existsSync(SHARED_RIS) ? /Shoulder Stabilization in the Athletic Population/ : /acute psychiatric wards/;

const QUESTIONS = [
  'Does peer support reduce self-stigma?',
  'What did patients say about residential alternatives to hospital?',
  'How do peer support specialist roles change as positions mature?',
  'What helps peer workers integrate into teams?',
  'How did stigma among service users in Hong Kong change over time?',
  'what do peers say about role clarity',
  'Is online peer support useful?',
  'What did the women in the crisis houses value?',
  'do mentors help new peer staff?',
  'What is known about stigma coping?',
];

type Rect = { top: number; bottom: number; left: number; right: number };
const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
}

async function openPage(browser: Browser, url: string, size: (typeof SIZES)[number]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(url);
  await page.getByRole('status').filter({ hasText: /^Ready/ }).waitFor();
  return page;
}

async function ask(page: Page, question: string) {
  const before = await page.locator('.message.assistant:not(.pending)').count();
  const box = page.getByRole('textbox', { name: 'Your question' });
  await box.fill(question);
  await box.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.message.assistant:not(.pending)').length > n && !document.querySelector('.message.pending'), before);
}

describe.skipIf(!hasChromium)('the page as a workspace', () => {
  const tmp = tempDir();
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ INDEX_POLL_MS: '200' }, path.join(tmp.dir, 'data'));
    browser = await launch();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp.cleanup();
  });

  for (const size of SIZES) {
    it(`${size.name}: after each of ten answers the newest message is in the viewport, above the composer`, async () => {
      const page = await openPage(browser, server.url, size);
      for (const [i, question] of QUESTIONS.entries()) {
        await ask(page, question);
        const newest = await page.locator('#log > li').last().boundingBox();
        const composer = await page.getByRole('form', { name: 'Ask a question' }).boundingBox();
        expect(newest, `answer ${i + 1}`).not.toBeNull();
        expect(newest!.y, `answer ${i + 1} top`).toBeGreaterThanOrEqual(0);
        expect(newest!.y + newest!.height, `answer ${i + 1} bottom`).toBeLessThanOrEqual(composer!.y + 0.5);
        expect(newest!.y + newest!.height, `answer ${i + 1} in the viewport`).toBeLessThanOrEqual(size.height);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
      await page.screenshot({ path: path.join(ARTIFACTS, `workspace-ten-answers-${size.name}.png`) });
      // However long the conversation, an opened card gets its room: its title in view, its text readable.
      await page.getByTestId('answer').getByRole('button', { name: /^Source 1:/ }).first().click();
      await page.getByTestId('source-card').locator('.abstract').filter({ hasNotText: 'Loading…' }).waitFor();
      const title = (await page.getByTestId('source-card').locator('h3').boundingBox())!;
      expect(title.y).toBeGreaterThanOrEqual(0);
      expect(title.y + title.height).toBeLessThanOrEqual(size.height);
      expect((await page.locator('#side-panel').boundingBox())!.height).toBeGreaterThan(250);
      await page.close();
    });

    it(`${size.name}: a citation opens its card on click or Enter (not hover), docked clear of the answer's text; Esc or a click outside closes it`, async () => {
      const page = await openPage(browser, server.url, size);
      await ask(page, 'What did patients say about residential alternatives to hospital?');
      const answer = page.getByTestId('answer');
      const chip = answer.getByRole('button', { name: /^Source 1:/ }).first();
      const card = page.getByRole('region', { name: /Gilburt|residential/i });
      await chip.hover();
      await page.waitForTimeout(200);
      expect(await page.getByTestId('source-card').isHidden()).toBe(true);

      await chip.click();
      await card.getByTestId('evidence').first().waitFor();
      // What shows of each: the answer clipped to the log and the card to its panel, both of which scroll on their own.
      const clipped = (selector: string, within: string) =>
        page.evaluate(
          ([selector, within]) => {
            const a = document.querySelector(selector)!.getBoundingClientRect();
            const l = document.querySelector(within)!.getBoundingClientRect();
            return { top: Math.max(a.top, l.top), bottom: Math.min(a.bottom, l.bottom), left: Math.max(a.left, l.left), right: Math.min(a.right, l.right) };
          },
          [selector, within],
        );
      const visible = await clipped('[data-testid=answer]', '#log');
      const shownCard = await clipped('[data-testid=source-card]', '#side-panel');
      expect(visible.bottom - visible.top, 'some of the answer is in view').toBeGreaterThan(10);
      expect(shownCard.bottom - shownCard.top, 'some of the card is in view').toBeGreaterThan(100);
      await page.screenshot({ path: path.join(ARTIFACTS, `workspace-source-card-${size.name}.png`) });
      expect(overlaps(visible, shownCard)).toBe(false);
      // The sections' labels are set apart from their text, from the API's offsets.
      expect(await card.locator('.section-label').allTextContents()).toEqual(expect.arrayContaining(['Background', 'Aims', 'Method']));
      expect(await card.locator('.abstract').textContent()).not.toMatch(/BackgroundLittle/);

      await page.keyboard.press('Escape');
      expect(await page.getByTestId('source-card').isHidden()).toBe(true);
      expect(await chip.evaluate((node) => node === document.activeElement)).toBe(true);
      await page.keyboard.press('Enter');
      await card.getByTestId('evidence').first().waitFor();
      await page.getByRole('log').or(page.getByRole('list', { name: 'Conversation' })).first().click({ position: { x: 5, y: 5 } });
      expect(await page.getByTestId('source-card').isHidden()).toBe(true);
      await page.close();
    });
  }

  it('shows crisis support first, above the answer, when a question expresses a crisis', async () => {
    const page = await openPage(browser, server.url, SIZES[1]);
    await ask(page, 'I want to end my life. Does peer support help people like me?');
    const note = page.getByRole('note');
    expect(await note.textContent()).toBe(server.config.crisisMessage);
    expect(await note.isVisible()).toBe(true);
    await page.close();
  });

  it('the evidence table has a row per cited sentence, sorts by column, and its CSV has the same rows', async () => {
    const page = await openPage(browser, server.url, SIZES[0]);
    await page.getByRole('textbox', { name: 'Your question' }).fill('peer support and stigma');
    await page.getByRole('button', { name: 'Summarize' }).click();
    await page.waitForFunction(() => document.querySelector('.message.assistant:last-child [data-testid=citation]'));
    const api = await (await server.post('/api/summarize', { topic: 'peer support and stigma' })).json();
    const sentences = api.citations.flatMap((c: { spans: Array<{ text: string }> }) => [...new Set(c.spans.map((s) => s.text))]);
    expect(sentences.length).toBeGreaterThan(2);

    await page.getByRole('button', { name: 'Evidence table' }).last().click();
    const table = page.getByRole('table', { name: /Evidence/ });
    expect(await table.locator('tbody tr').count()).toBe(sentences.length);
    await table.getByRole('button', { name: 'Year' }).click();
    expect(await table.getByRole('columnheader', { name: 'Year' }).getAttribute('aria-sort')).toBe('ascending');
    // Ascending, undated papers last.
    const years = (await table.locator('tbody tr td:nth-child(3)').allTextContents()).map((y) => (y === 'n.d.' ? Infinity : Number(y)));
    expect(years).toEqual([...years].sort((a, b) => a - b));
    await page.screenshot({ path: path.join(ARTIFACTS, 'workspace-evidence-table.png') });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).last().click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('Source,Paper,Year,Design,Sample size,Cited sentence');
    expect(csv.length - 1).toBe(sentences.length);
    for (const sentence of sentences) expect(csv.some((row) => row.includes(sentence.replace(/\s+/g, ' ').trim().replace(/"/g, '""')))).toBe(true);
    await page.close();
  });

  it('"Ask about these" limits the citations to the chosen papers, shown as a removable scope; a card asks about its paper', async () => {
    const page = await openPage(browser, server.url, SIZES[0]);
    await page.getByRole('button', { name: 'Papers', exact: true }).click();
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('label');
    await page.getByRole('checkbox', { name: /Select Chung/ }).check();
    await page.getByRole('checkbox', { name: /Select Gilburt/ }).check();
    await page.getByRole('button', { name: 'Ask about these (2)' }).click();
    expect(await page.getByTestId('scope').textContent()).toMatch(/Only: Chung.*Gilburt/);
    const chosen = (await (await fetch(`${server.url}/api/papers?limit=500`)).json()).papers.filter((p: { label: string }) => /^(Chung|Gilburt)/.test(p.label)).map((p: { paperId: string }) => p.paperId);

    await ask(page, 'Does peer support help people?');
    const result = await page.evaluate(async () => (await fetch(`/api/conversations/${location.pathname.split('/').pop()}`)).json());
    const cited = result.turnList.at(-1).result.citations.map((c: { paperId: string }) => c.paperId);
    expect(cited.length).toBeGreaterThan(0);
    for (const id of cited) expect(chosen).toContain(id);
    // Without the scope the same question cites other papers too: the scope did the limiting.
    const open = await (await server.post('/api/ask', { question: 'Does peer support help people?' })).json();
    expect(open.citations.some((c: { paperId: string }) => !chosen.includes(c.paperId))).toBe(true);

    // The scope is saved with the chat: a reload keeps it, and the next answer is still scoped.
    await page.reload();
    await page.getByTestId('scope').filter({ hasText: /Only: Chung.*Gilburt/ }).waitFor();
    await ask(page, 'What did people report about stigma?');
    const again = await page.evaluate(async () => (await fetch(`/api/conversations/${location.pathname.split('/').pop()}`)).json());
    for (const c of again.turnList.at(-1).result.citations) expect(chosen).toContain(c.paperId);

    await page.getByRole('button', { name: 'Remove the paper scope' }).click();
    expect(await page.getByTestId('scope').count()).toBe(0);
    await page.getByTestId('answer').getByRole('button', { name: /^Source 1:/ }).first().click();
    await page.getByRole('button', { name: 'Ask about this paper' }).click();
    expect(await page.getByTestId('scope').textContent()).toMatch(/Only: (Chung|Gilburt)/);
    await page.close();
  });

  it('the Papers tab filters by design and year, sorts, and has no stray separator', async () => {
    const page = await openPage(browser, server.url, SIZES[0]);
    await page.getByRole('button', { name: 'Papers', exact: true }).click();
    await page.getByTestId('paper-list').locator('li').first().waitFor();
    for (const detail of await page.getByTestId('paper-list').locator('.detail').allTextContents()) expect(detail).not.toMatch(/^\s*·|·\s*$/);
    await page.getByRole('combobox', { name: 'Design' }).selectOption('qualitative');
    await page.waitForFunction(() => document.querySelector('#paper-count')?.textContent?.match(/^\d+ paper/) && [...document.querySelectorAll('#paper-list .detail')].every((d) => d.textContent?.includes('qualitative')));
    await page.getByRole('combobox', { name: 'Design' }).selectOption('');
    await page.getByRole('spinbutton', { name: 'From year' }).fill('2015');
    await page.getByRole('button', { name: 'Search' }).click();
    // Each paper's year, from its label ("Chung, Tse, Lee et al. (2018)").
    await page.waitForFunction(() => [...document.querySelectorAll('#paper-list li')].every((d) => Number(/\((\d{4})\)/.exec(d.textContent ?? '')?.[1] ?? 0) >= 2015));
    await page.close();
  });

  for (const size of SIZES) {
    it(`${size.name}: a conversation survives a reload and a server restart at its /c/<id> address`, async () => {
      let page = await openPage(browser, server.url, size);
      await ask(page, 'Does peer support reduce self-stigma?');
      await ask(page, 'What did patients say about residential alternatives to hospital?');
      const address = new URL(page.url());
      expect(address.pathname).toMatch(/^\/c\/[\w-]+$/);
      const answers = await page.locator('.message.assistant .body').allTextContents();

      await page.reload();
      await page.locator('.message.assistant').nth(1).waitFor();
      expect(await page.locator('.message.assistant .body').allTextContents()).toEqual(answers);
      expect(await page.locator('.message.user').allTextContents()).toEqual(['Does peer support reduce self-stigma?', 'What did patients say about residential alternatives to hospital?']);
      await page.close();

      const dataDir = server.config.dataDir;
      await server.close();
      server = await startTestServer({ INDEX_POLL_MS: '200' }, dataDir);
      page = await openPage(browser, `${server.url}${address.pathname}`, size);
      await page.locator('.message.assistant').nth(1).waitFor();
      expect(await page.locator('.message.assistant .body').allTextContents()).toEqual(answers);
      // Its citations still open their cards.
      await page.getByTestId('answer').getByRole('button', { name: /^Source 1:/ }).first().click();
      await page.getByTestId('source-card').getByTestId('evidence').first().waitFor();

      await page.getByRole('button', { name: 'Saved chats' }).click();
      await page.getByTestId('chat-list').getByRole('link', { name: 'Does peer support reduce self-stigma?' }).first().waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `workspace-saved-chats-${size.name}.png`) });
      await page.close();
    });
  }

  // Last: it adds papers to the index the tests above read.
  it('a dropped RIS export is ingested with visible progress, and its papers answer without a restart', async () => {
    const page = await openPage(browser, `${server.url}/?statusPoll=300`, SIZES[0]);
    const before = Number(/(\d+) papers/.exec((await page.getByRole('status').first().textContent()) ?? '')?.[1]);
    await page.getByRole('button', { name: 'Papers', exact: true }).click();
    // Every text the upload status shows, to prove progress was visible on the way.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const node = document.querySelector('[data-testid=upload-status]')!;
      new MutationObserver(() => seen.push(node.textContent ?? '')).observe(node, { childList: true, characterData: true, subtree: true });
    });
    const text = readFileSync(RIS, 'utf8');
    const transfer = await page.evaluateHandle(
      ({ text, name }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'application/x-research-info-systems' }));
        return dt;
      },
      { text, name: path.basename(RIS) },
    );
    await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer: transfer });
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByTestId('upload-status').filter({ hasText: /^Done/ }).waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.some((s) => /^Uploading|^Adding/.test(s))).toBe(true);
    expect(await page.getByTestId('upload-status').textContent()).toMatch(/1 new/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'workspace-upload.png') });
    await page.getByRole('status').first().filter({ hasText: new RegExp(`${before + 1} papers`) }).waitFor({ timeout: 10_000 });

    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await ask(page, RIS_QUESTION);
    await page.getByTestId('answer').getByRole('button', { name: /^Source 1:/ }).waitFor();
    expect((await page.locator('#sources-list').textContent()) ?? '').toMatch(RIS_TITLE);
    await page.close();
  });
});

describe.skipIf(!hasChromium)('the page while the index builds', () => {
  const tmp = tempDir();
  let browser: Browser;
  let close = async () => {};

  afterAll(async () => {
    await browser?.close();
    await close();
    tmp.cleanup();
  });

  it('shows the build\'s progress, keeps Send disabled with the reason, then says ready and enables it', async () => {
    // A corpus big enough that its first build takes a few seconds with the offline model.
    const corpus = path.join(tmp.dir, 'corpus.json');
    const words = 'peer support recovery stigma hope workers services mental health outcomes training roles'.split(' ');
    writeFileSync(
      corpus,
      JSON.stringify(
        Array.from({ length: 4000 }, (_, i) => ({
          title: `Study ${i} of ${words[i % words.length]} and ${words[(i * 7) % words.length]}`,
          abstract: Array.from({ length: 8 }, (_, j) => `Sentence ${j} of study ${i} reports ${words[(i + j) % words.length]} among ${10 + j} ${words[(i * j) % words.length]} participants.`).join(' '),
          authors: [`Author${i}, A.`],
          year: 2000 + (i % 24),
        })),
      ),
    );
    const config = testConfig(path.join(tmp.dir, 'data'), { CORPUS_PATH: corpus });
    const live = new LiveIndex(config, () => {});
    const app = createApp({ config, serving: live });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    close = async () => {
      live.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const serving = startServing(config, live, { log: () => {}, ingestOutput: 'stderr' });
    await page.goto(url);
    await page.getByRole('status').filter({ hasText: /^Building the index/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('send-reason').textContent()).toMatch(/once the index is ready/);
    await page.getByRole('status').filter({ hasText: /Building the index \((parsing|embedding|indexing|writing)[^)]* of \d+/ }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'workspace-building.png') });
    await serving;
    await page.getByRole('status').filter({ hasText: /^Ready · 4000 papers/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    expect(await page.getByTestId('send-reason').isHidden()).toBe(true);
  });
});
