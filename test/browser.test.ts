// The chat page in a real browser: Debian's Chromium driven by playwright-core, against the real
// server on a real index of the bundled corpus (plus one hostile paper to prove text stays text).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ingestFiles } from '../ingest/ingest-files.js';
import { loadEmbeddingModel } from '../src/embeddings/load-embedding-model.js';
import { fixture, ROOT, SEED, tempDir, testConfig } from './helpers.js';
import { startTestServer, type TestServer } from './server-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Skipping browser tests: ${CHROMIUM} is absent (apt-get install chromium; .ci/run does this).`);
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

describe.skipIf(!hasChromium)('the chat page', () => {
  const tmp = tempDir();
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const hostile = path.join(tmp.dir, 'hostile.json');
    writeFileSync(
      hostile,
      JSON.stringify([
        {
          title: 'Prison peer mentors <script>window.__xss = "script"</script> and coping',
          abstract: 'Peer mentors in prisons reported <img src=x onerror="window.__xss = \'img\'"> improved coping among 30 inmates. Mentoring was valued by staff.',
          authors: ['Evil Hacker'],
          year: 2020,
        },
        {
          title: `Peer support and a title with ${'Antidisestablishmentarianism'.repeat(12)} in it \u202Egnp.exe`,
          abstract: 'Peer workers described an attachment named \u202Egnp.exe in a study of 12 services.',
          authors: ['Wide Title'],
          year: 2021,
        },
      ]),
    );
    const dataDir = path.join(tmp.dir, 'data');
    const config = testConfig(dataDir);
    await ingestFiles({ config, files: [SEED, hostile], loaded: await loadEmbeddingModel(config) });
    server = await startTestServer({}, dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(server.url);
    await page.getByTestId('status').filter({ hasText: 'papers' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp.cleanup();
  });

  async function askQuestion(question: string) {
    const before = await page.locator('.message.assistant').count();
    await page.getByTestId('question-input').fill(question);
    await page.getByTestId('question-input').press('Enter');
    await page.locator('.message.assistant').nth(before).and(page.locator(':not(.pending)')).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('.message.assistant:not(.pending)').length > n, before);
  }

  const sourceLabels = () => page.getByTestId('sources').locator('li .detail, li .source-link').allTextContents();

  it('shows the corpus, the embedding model and that it is the offline fallback', async () => {
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(/11 papers \(9 with text\).*offline:abstracts-offline-v1.*answers: extractive/);
    expect(await page.getByTestId('model-notice').isVisible()).toBe(true);
  });

  it('streams an answer, and a citation chip opens the source card with the quote highlighted', async () => {
    await askQuestion('What did patients say about residential alternatives to hospital?');
    const answer = page.getByTestId('answer');
    expect(await answer.textContent()).toMatch(/residential alternatives/);
    const chip = answer.getByTestId('citation').first();
    expect(await chip.getAttribute('data-n')).toBe('1');
    await chip.click();
    const card = page.getByTestId('source-card');
    await card.getByTestId('evidence').first().waitFor();
    expect(await card.locator('h3').textContent()).toBe('Gilburt, Slade, Rose et al. (2010)');
    const evidence = await card.getByTestId('evidence').allTextContents();
    const res = await server.post('/api/ask', { question: 'What did patients say about residential alternatives to hospital?' });
    const expected = (await res.json()).citations[0].quote;
    expect(evidence).toContain(expected);
    expect(await card.locator('.abstract').textContent()).toContain(expected);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-answer.png'), fullPage: true });
  });

  it('applies a year filter to the next question, visibly, and it changes the sources', async () => {
    const question = 'peer support groups and recovery';
    await askQuestion(question);
    const unfiltered = await sourceLabels();
    expect(unfiltered.join(' ')).toMatch(/2018/);
    await page.getByTestId('year-to').fill('2016');
    expect(await page.getByTestId('active-filters').textContent()).toMatch(/years …–2016/);
    await askQuestion(question);
    const filtered = await sourceLabels();
    expect(filtered).not.toEqual(unfiltered);
    for (const year of filtered.join(' ').match(/\b(19|20)\d\d\b/g) ?? []) expect(Number(year)).toBeLessThanOrEqual(2016);
    await page.getByTestId('year-to').fill('');
  });

  it('shows a refusal with no citations and lists the closest papers', async () => {
    await askQuestion('What is the boiling point of mercury at sea level?');
    expect(await page.getByTestId('answer').getByTestId('citation').count()).toBe(0);
    expect(await page.getByTestId('answer').textContent()).toMatch(/None of the indexed abstracts mention “mercury”|do not clearly answer/);
    expect(await page.locator('#sources-title').textContent()).toBe('Closest papers (not cited)');
  });

  it('answers a misspelt question, saying which words it searched for instead', async () => {
    await askQuestion('Does peer suport reduce self-stigam?');
    const last = page.locator('.message.assistant').last();
    expect(await last.locator('.notice').allTextContents()).toContain('Searched for “support”, “stigma”: no indexed abstract has “suport”, “stigam”.');
    expect(await page.getByTestId('answer').getByTestId('citation').count()).toBeGreaterThan(0);
  });

  it('renders abstracts and titles containing HTML as text and runs nothing', async () => {
    await askQuestion('What did peer mentors in prisons report about coping?');
    expect(await page.getByTestId('answer').textContent()).toContain('<img src=x onerror=');
    await page.getByTestId('answer').getByTestId('citation').first().click();
    const card = page.getByTestId('source-card');
    await card.getByTestId('evidence').filter({ hasText: 'Peer mentors in prisons' }).waitFor();
    expect(await card.locator('h3').textContent()).toContain('<script>');
    expect(await page.locator('main img, .source-card img, .source-card script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
  });

  it('summarises a topic into themes named by content, each saying how many papers report it and whether they agree, citations in order', async () => {
    const before = await page.locator('.message.assistant').count();
    await page.getByTestId('question-input').fill('peer support and stigma');
    await page.getByTestId('summarize').click();
    await page.waitForFunction((n) => document.querySelectorAll('.message.assistant').length > n && document.querySelector('.message.assistant:last-child [data-testid=citation]'), before);
    const answer = page.getByTestId('answer');
    const themes = await answer.locator('h4').allTextContents();
    expect(themes.length).toBeGreaterThan(1);
    expect(themes).not.toContain('Findings');
    expect(await answer.getByTestId('agreement').count()).toBe(themes.length);
    expect(await answer.getByTestId('agreement').first().textContent()).toMatch(/^Reported by \d+ papers?/);
    const chips = (await answer.getByTestId('citation').allTextContents()).map(Number);
    expect([...new Set(chips)]).toEqual([...new Set(chips)].sort((a, b) => a - b));
    expect(chips[0]).toBe(1);
  });

  it('summarises the papers an answer cited: each one named with its main finding', async () => {
    await askQuestion('How do peer support specialist roles change as positions mature?');
    const cited = await page.locator('#sources-list .source-link').count();
    const before = await page.locator('.message.assistant').count();
    await page.getByTestId('summarize').click();
    await page.waitForFunction((n) => document.querySelectorAll('.message.assistant').length > n && document.querySelector('.message.assistant:last-child [data-testid=citation]'), before);
    const text = (await page.getByTestId('answer').textContent()) ?? '';
    expect(await page.getByTestId('answer').locator('h4').first().textContent()).toBe('Main findings');
    expect(text).toMatch(/Poremski, Kuek, Qi et al\. \(n\.d\.\):/);
    expect(await page.getByTestId('answer').getByTestId('citation').count()).toBeGreaterThanOrEqual(cited);
  });

  it('exports the whole chat as Markdown: every question, its answer and every quote of each reference', async () => {
    await askQuestion('How do peer support specialist roles change as positions mature?');
    await page.getByTestId('export-markdown').click();
    const exported = await page.evaluate(() => document.body.dataset.lastExport ?? '');
    expect(exported).toMatch(/\[1\]/);
    expect(exported).toMatch(/## How do peer support specialist roles change as positions mature\?\n\n/);
    expect(exported).toMatch(/## What did patients say about residential alternatives to hospital\?\n\n/);
    expect(exported).toMatch(/\*\*References\*\*\n\n1\. Daniel Poremski, Jonathan Kuek/);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-ris').click();
    expect((await download).suggestedFilename()).toBe('cited-papers.ris');
  });

  it('keeps Shift+Enter as a newline, and "new chat" starts over', async () => {
    const input = page.getByTestId('question-input');
    await input.fill('first line');
    await input.press('Shift+Enter');
    await input.type('second line');
    expect(await input.inputValue()).toBe('first line\nsecond line');
    await input.fill('');
    await page.getByTestId('new-chat').click();
    expect(await page.locator('#log li').count()).toBe(0);
  });

  it('browses papers and opens one', async () => {
    await page.getByRole('button', { name: 'Papers', exact: true }).click();
    await page.getByTestId('paper-list').locator('li').first().waitFor();
    expect(await page.getByTestId('paper-list').locator('li').count()).toBe(11);
    await page.getByTestId('paper-query').fill('Hong Kong');
    await page.getByTestId('paper-query').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=paper-list] li').length === 2);
    await page.getByTestId('paper-list').locator('.source-link').first().click();
    const card = page.getByTestId('source-card');
    expect(await card.locator('h3').textContent()).toMatch(/Nine-Month Longitudinal Impact/);
    await card.locator('.abstract').filter({ hasText: 'only a title' }).waitFor();
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
  });

  it('wraps a title with a long unbroken word, and shows no bidi override from a paper', async () => {
    await page.getByRole('button', { name: 'Papers', exact: true }).click();
    await page.getByTestId('paper-query').fill('Antidisestablishmentarianism');
    await page.getByTestId('paper-query').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=paper-list] li').length === 1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.getByTestId('paper-list').locator('.source-link').first().click();
    const card = page.getByTestId('source-card');
    await card.locator('.abstract').filter({ hasText: 'attachment named' }).waitFor();
    const shown = `${await card.locator('h3').textContent()}${await card.locator('.abstract').textContent()}`;
    expect(shown).toContain('gnp.exe');
    expect(shown).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
  });

  it('fits a phone-width window', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-phone.png') });
  });

  // Last: it adds papers to the index the other tests read.
  it('the status line follows a new build ingested while the page is open', async () => {
    await page.goto(`${server.url}/?statusPoll=300`);
    await page.getByTestId('status').filter({ hasText: '11 papers' }).waitFor();
    await ingestFiles({ config: server.config, files: [fixture('sample.ris')], loaded: await loadEmbeddingModel(server.config) });
    await page.getByTestId('status').filter({ hasText: /13 papers \(11 with text\).*index updated at \d/ }).waitFor({ timeout: 10_000 });
  });
});
