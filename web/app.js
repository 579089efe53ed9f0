// @ts-check
// The chat page's wiring: state, the status line, asking and summarising, saved conversations
// (each at /c/<id>), the docked source card, the Papers tab (search, scope, uploads) and exports.
// No framework and no build step: ES modules over the DOM (api.js, render.js, exports.js).
import { api, PageError, streamEvents, uploadFiles } from './api.js';
import { bibtexExport, evidenceCsv, evidenceRows, markdownExport, risExport } from './exports.js';
import { addMessage, el, evidenceTable, factsOf, paperItem, paperLinks, renderAbstract, renderAnswer, renderNotices, scrollIntoLog } from './render.js';

/** @typedef {import('./render.js').Result} Result */
/** @typedef {import('./render.js').Citation} Citation */
/** @typedef {import('./render.js').PaperRecord} PaperRecord */
/** @typedef {{ question: string, kind: 'ask' | 'summarize', result: Result }} PageTurn */

/**
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @returns {T}
 */
const $ = (selector) => {
  const found = document.querySelector(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return /** @type {T} */ (/** @type {unknown} */ (found));
};
const input = (/** @type {string} */ selector) => /** @type {HTMLInputElement} */ ($(selector));

const state = {
  /** @type {PageTurn[]} */
  turns: [],
  /** @type {string | null} */
  conversationId: null,
  /** @type {string} */
  title: '',
  /** Papers the next questions are limited to ("Ask about these"), with their labels for the chip. */
  /** @type {Array<{ paperId: string, label: string }>} */
  scope: [],
  /** Papers ticked in the Papers tab. */
  /** @type {Map<string, string>} */
  selected: new Map(),
  /** @type {Map<string, Promise<PaperRecord>>} */
  papers: new Map(),
  ready: false,
  busy: false,
  /** Aborts the request in flight when the chat it belongs to is left (New chat, another saved chat). */
  chat: new AbortController(),
};

// ---------------------------------------------------------------- status

// The status line follows the server: while the index builds it polls quickly and shows the stage
// in hand, with Send disabled and the reason beside it; once ready it polls slowly, so a new build
// (an upload, or an ingest in a terminal) shows up without a reload.
let shownBuild = /** @type {string | null} */ (null);
let updatedAt = /** @type {Date | null} */ (null);
const STATUS_POLL_MS = Number(new URLSearchParams(location.search).get('statusPoll')) || 10_000;

async function pollStatus() {
  setTimeout(pollStatus, await refreshStatus());
}

/** Reads /api/health once and shows it; returns how long to wait before the next look. */
async function refreshStatus() {
  const status = $('[data-testid=status]');
  try {
    const h = await api('/api/health');
    if (h.status !== 'ready') {
      const p = h.progress;
      const stage = p ? ` (${p.stage}: ${p.done} of ${p.total} ${p.unit})` : '';
      status.textContent = h.status === 'error' ? `The index could not be loaded: ${h.message}. Fix the cause (the server log says more), then restart the server.` : `Building the index${stage}…`;
      setReady(false, h.status === 'error' ? 'Questions can be asked once the index loads.' : 'Send is available once the index is ready.');
      return 1000;
    }
    if (shownBuild !== null && shownBuild !== h.buildId) {
      updatedAt = new Date();
      state.papers.clear();
      if (!$('#papers-view').hidden) void searchPapers();
    }
    shownBuild = h.buildId;
    fillDesigns(h.designs ?? []);
    status.textContent = readyLine(h);
    status.title = h.builtAt ? `Index built ${new Date(h.builtAt).toLocaleString()}` : '';
    const notice = $('[data-testid=model-notice]');
    if (h.embedding?.offline) {
      notice.hidden = false;
      $('.notice-text').textContent =
        h.embedding.wanted === 'offline'
          ? 'This server uses the built-in offline embedding model on purpose (EMBEDDING_MODEL=offline).'
          : `The embedding model ${h.embedding.wanted} is not available (${h.embedding.fallbackReason}), so the built-in offline model is used. Run "npm run fetch-model" with internet access, then restart, to fix this.`;
    }
    setReady(true);
    return STATUS_POLL_MS;
  } catch (error) {
    status.textContent = errorText(error);
    setReady(false, 'Send is available once the server answers again.');
    return 3000;
  }
}

/** The status line of a ready server. @param {any} h the health report */
function readyLine(h) {
  const model = h.embedding ? h.embedding.model : 'unknown model';
  const updated = updatedAt ? ` · index updated at ${updatedAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : '';
  return `Ready · ${h.papers} papers (${h.papersWithText} with text) · ${h.chunks} passages · embeddings: ${model}${h.embedding?.offline ? ' (offline fallback)' : ''} · answers: ${h.answerer === 'llm' ? `LLM (${h.llmModel})` : 'extractive'}${updated}`;
}

/** @param {boolean} ready @param {string} [reason] */
function setReady(ready, reason = '') {
  state.ready = ready;
  const why = $('#send-reason');
  why.hidden = ready;
  why.textContent = reason;
  updateButtons();
}

function updateButtons() {
  for (const id of ['[data-testid=send]', '#summarize']) /** @type {HTMLButtonElement} */ ($(id)).disabled = !state.ready || state.busy;
  const cited = state.turns.some((t) => t.result.citations.length > 0);
  /** @type {HTMLButtonElement} */ ($('#export-markdown')).disabled = state.turns.length === 0;
  for (const id of ['#export-bibtex', '#export-ris']) /** @type {HTMLButtonElement} */ ($(id)).disabled = !cited;
}

/** @param {unknown} error */
const errorText = (error) => (error instanceof PageError ? error.message : `Something went wrong: ${/** @type {Error} */ (error).message}. Reload the page and try again.`);

/** @param {string[]} designs */
function fillDesigns(designs) {
  const select = /** @type {HTMLSelectElement} */ ($('#paper-design'));
  if (select.options.length > 1 || !designs.length) return;
  for (const d of designs) select.append(new Option(d[0].toUpperCase() + d.slice(1), d));
}

// ---------------------------------------------------------------- filters and scope

function currentFilters() {
  /** @type {{ yearFrom?: number, yearTo?: number, authors?: string, paperIds?: string[] }} */
  const filters = {};
  const from = Number.parseInt(input('#year-from').value, 10);
  const to = Number.parseInt(input('#year-to').value, 10);
  const author = input('#author').value.trim();
  if (Number.isInteger(from)) filters.yearFrom = from;
  if (Number.isInteger(to)) filters.yearTo = to;
  if (author) filters.authors = author;
  if (state.scope.length) filters.paperIds = state.scope.map((p) => p.paperId);
  return filters;
}

/** The filters and scope in force, each removable: the scope as a chip with a remove button. */
function showFilters() {
  const f = currentFilters();
  const parts = [];
  if (f.yearFrom || f.yearTo) parts.push(`years ${f.yearFrom ?? '…'}–${f.yearTo ?? '…'}`);
  if (f.authors) parts.push(`author contains “${f.authors}”`);
  const box = $('[data-testid=active-filters]');
  box.replaceChildren();
  if (parts.length) box.append(el('span', '', `Filtering: ${parts.join(', ')} (applies to the next question)`));
  if (state.scope.length) {
    const chip = el('span', 'scope-chip');
    chip.dataset.testid = 'scope';
    const names = state.scope.map((p) => p.label);
    chip.append(el('span', '', `Only: ${names.length > 2 ? `${names.slice(0, 2).join('; ')} and ${names.length - 2} more` : names.join('; ')}`));
    const remove = el('button', 'remove', '×');
    remove.type = 'button';
    remove.setAttribute('aria-label', 'Remove the paper scope');
    remove.addEventListener('click', () => setScope([]));
    chip.append(remove);
    box.append(chip);
  }
  $('#filter-panel > summary').textContent = parts.length ? `Filters (${parts.length})` : 'Filters';
}

/** @param {Array<{ paperId: string, label: string }>} papers */
function setScope(papers) {
  state.scope = papers;
  showFilters();
  if (state.conversationId) void api(`/api/conversations/${state.conversationId}`, { scope: { filters: currentFilters() } }, 'PATCH').catch(() => {});
}

// ---------------------------------------------------------------- asking

const log = () => $('#log');

/** Creates the saved conversation on its first question, and gives it its own address. */
async function ensureConversation() {
  if (state.conversationId) return state.conversationId;
  try {
    const c = await api('/api/conversations', { scope: { filters: currentFilters() } });
    state.conversationId = c.id;
    history.pushState({ id: c.id }, '', `/c/${c.id}`);
  } catch (error) {
    // A server that cannot be reached cannot answer either: that is the error to show.
    if (!(error instanceof PageError) || error.status === undefined) throw error;
    // Saving is a courtesy: the question is still answered, and the chat simply is not kept.
    toast(`This chat cannot be saved (${error.message}); answers still work.`);
  }
  return state.conversationId;
}

/** @param {string} question */
async function ask(question) {
  const filters = currentFilters();
  const chat = state.chat;
  state.busy = true;
  updateButtons();
  addMessage(log(), 'user', question);
  const li = addMessage(log(), 'assistant', '');
  li.classList.add('pending');
  scrollIntoLog(log(), li);
  const body = /** @type {HTMLElement} */ (li.querySelector('.body'));
  let streamed = '';
  try {
    const conversationId = await ensureConversation();
    // The server takes 8,000 characters a turn and 50 papers: a long summary goes as its start.
    const historyTurns = state.turns.slice(-4).flatMap((t) => [
      { role: 'user', content: (t.question || 'Summarise these papers').slice(0, 2000) },
      { role: 'assistant', content: t.result.answer.slice(0, 8000), paperIds: [...new Set(t.result.citations.map((c) => c.paperId))].slice(0, 50) },
    ]);
    await streamEvents('/api/chat', { question, history: historyTurns, filters, ...(conversationId ? { conversationId } : {}) }, chat.signal, (event, data) => {
      if (event === 'token') {
        streamed += data.text;
        body.textContent = streamed;
      } else if (event === 'done') {
        li.classList.remove('pending');
        state.title ||= question;
        showTurn(li, { question, kind: 'ask', result: data });
      } else if (event === 'error') throw new PageError(data.error?.message ?? 'The answer failed. Try again.');
    });
  } catch (error) {
    if (chat.signal.aborted) return;
    showError(li, error);
    forgetEmptyChat();
    // Nothing typed is lost: an unanswered question goes back in the box.
    const box = /** @type {HTMLTextAreaElement} */ ($('#question'));
    if (!box.value.trim()) box.value = question;
  } finally {
    if (chat === state.chat) {
      state.busy = false;
      updateButtons();
    }
  }
}

async function summarize() {
  const topic = /** @type {HTMLTextAreaElement} */ ($('#question')).value.trim();
  const latest = state.turns.at(-1)?.result;
  const cited = state.scope.length ? state.scope.map((p) => p.paperId) : [...new Set(latest?.citations.map((c) => c.paperId) ?? [])];
  if (!topic && cited.length === 0) {
    toast('Type a topic, or ask a question first to summarise the papers it cites.');
    return;
  }
  const chat = state.chat;
  state.busy = true;
  updateButtons();
  addMessage(log(), 'user', summaryHeading(topic));
  const li = addMessage(log(), 'assistant', 'Summarising…');
  scrollIntoLog(log(), li);
  try {
    const conversationId = await ensureConversation();
    const request = topic ? { topic, filters: currentFilters() } : { paperIds: cited };
    const result = await api('/api/summarize', { ...request, ...(conversationId ? { conversationId } : {}) }, 'POST', chat.signal);
    /** @type {HTMLTextAreaElement} */ ($('#question')).value = '';
    state.title ||= topic || 'Summary of chosen papers';
    showTurn(li, { question: topic, kind: 'summarize', result: asResult(result) });
  } catch (error) {
    if (chat.signal.aborted) return;
    showError(li, error);
    forgetEmptyChat();
  } finally {
    if (chat === state.chat) {
      state.busy = false;
      updateButtons();
    }
  }
}

/** A chat whose first question failed is not kept as an empty saved chat. */
function forgetEmptyChat() {
  if (state.turns.length > 0 || !state.conversationId) return;
  void api(`/api/conversations/${state.conversationId}`, undefined, 'DELETE').catch(() => {});
  state.conversationId = null;
  history.replaceState(null, '', '/');
}

/** How a summary request reads in the log and the exports. @param {string} topic */
const summaryHeading = (topic) => (topic ? `Summarize: ${topic}` : 'Summarize the chosen papers');

/**
 * A summary's result in an answer's shape.
 * @param {any} result
 * @returns {Result}
 */
const asResult = (result) => ('summary' in result ? { ...result, answer: result.summary, answerable: result.citations.length > 0 } : result);

/**
 * Shows an answered turn in its message, with its tools (evidence table, CSV), and keeps it.
 * @param {HTMLElement} li @param {PageTurn} turn @param {{ scroll?: boolean }} [options]
 */
function showTurn(li, turn, { scroll = true } = {}) {
  const { result } = turn;
  $('#empty-hint').hidden = true;
  const body = /** @type {HTMLElement} */ (li.querySelector('.body'));
  renderAnswer(body, result, (c, chip) => openCard(c, chip));
  for (const old of document.querySelectorAll('[data-testid=answer]')) old.removeAttribute('data-testid');
  body.dataset.testid = 'answer';
  renderNotices(li, result);
  if (result.citations.length) li.append(answerTools(result));
  state.turns.push(turn);
  showSources(result);
  updateButtons();
  if (scroll) scrollIntoLog(log(), li);
}

/**
 * The evidence table toggle and its CSV download, under an answer.
 * @param {Result} result
 */
function answerTools(result) {
  const tools = el('div', 'answer-tools');
  const toggle = el('button', '', 'Evidence table');
  toggle.type = 'button';
  toggle.setAttribute('aria-expanded', 'false');
  const csv = el('button', '', 'Download CSV');
  csv.type = 'button';
  csv.dataset.testid = 'evidence-csv';
  csv.addEventListener('click', () => {
    const text = evidenceCsv(evidenceRows(result));
    document.body.dataset.lastExport = text;
    download('evidence.csv', 'text/csv', text);
  });
  /** @type {HTMLElement | null} */
  let table = null;
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      table = evidenceTable(result, (n) => {
        const c = result.citations.find((x) => x.n === n);
        if (c) openCard(c, toggle);
      });
      tools.after(table);
      table.scrollIntoView({ block: 'nearest' });
    } else table?.remove();
  });
  tools.append(toggle, csv);
  return tools;
}

/** @param {HTMLElement} li @param {unknown} error */
function showError(li, error) {
  li.classList.remove('pending');
  li.classList.add('error');
  /** @type {HTMLElement} */ (li.querySelector('.body')).textContent = errorText(error);
}

/** @param {Result} result */
function showSources(result) {
  const list = $('#sources-list');
  list.replaceChildren();
  /** @type {HTMLElement} */ ($('.sources .hint')).hidden = true;
  if (result.citations.length) {
    $('#sources-title').textContent = 'Sources';
    for (const c of result.citations) {
      list.append(paperItem(`[${c.n}] ${c.title ?? c.label}`, [c.title ? c.label : '', ...factsOf(c)], (e) => openCard(c, /** @type {HTMLElement} */ (e.currentTarget))));
    }
  } else {
    $('#sources-title').textContent = result.closest?.length ? 'Closest papers (not cited)' : 'Sources';
    for (const p of result.closest ?? []) {
      list.append(paperItem(p.title ?? p.label, [p.label, `relevance ${p.score}`], (e) => openPaper(p.paperId, /** @type {HTMLElement} */ (e.currentTarget), p.title ?? p.label)));
    }
  }
  $('#sheet-toggle').textContent = result.citations.length ? `Sources (${result.citations.length})` : 'Sources';
}

// ---------------------------------------------------------------- saved conversations

/** @param {string} id */
async function openConversation(id) {
  try {
    const c = await api(`/api/conversations/${encodeURIComponent(id)}`);
    resetChat();
    state.conversationId = c.id;
    state.title = c.title;
    document.title = `${c.title || 'Chat'} · Abstracts chat`;
    for (const t of c.turnList) {
      addMessage(log(), 'user', t.kind === 'summarize' ? summaryHeading(t.question) : t.question);
      showTurn(addMessage(log(), 'assistant', ''), { question: t.question, kind: t.kind, result: asResult(t.result) }, { scroll: false });
    }
    const last = /** @type {HTMLElement | null} */ (log().lastElementChild);
    if (last) scrollIntoLog(log(), last);
    // The filters and scope the chat was last asked under, as they were.
    const f = c.scope?.filters ?? {};
    input('#year-from').value = f.yearFrom ?? '';
    input('#year-to').value = f.yearTo ?? '';
    input('#author').value = f.authors ?? '';
    const ids = f.paperIds ?? c.scope?.paperIds ?? [];
    state.scope = await Promise.all(ids.map(async (/** @type {string} */ paperId) => ({ paperId, label: (await paperRecord(paperId).catch(() => null))?.label ?? paperId })));
    showFilters();
  } catch (error) {
    toast(error instanceof PageError && error.status === 404 ? 'That saved chat does not exist any more; starting a new one.' : errorText(error));
    history.replaceState(null, '', '/');
    resetChat();
  }
}

async function listConversations() {
  const list = $('#chat-list');
  try {
    const { conversations } = await api('/api/conversations');
    list.replaceChildren(...conversations.map(chatItem));
    if (!conversations.length) list.append(el('li', 'hint', 'No saved chats yet: ask a question and it is kept here.'));
  } catch (error) {
    list.replaceChildren(el('li', 'hint', errorText(error)));
  }
}

/** @param {{ id: string, title: string, updatedAt: string, turns: number }} c */
function chatItem(c) {
  const li = el('li', 'chat-item');
  const open = el('a', 'source-link', c.title || 'Untitled chat');
  open.href = `/c/${c.id}`;
  open.addEventListener('click', (e) => {
    e.preventDefault();
    history.pushState({ id: c.id }, '', `/c/${c.id}`);
    showView('chat');
    void openConversation(c.id);
  });
  const detail = el('span', 'detail', `${c.turns} turn${c.turns === 1 ? '' : 's'} · ${new Date(c.updatedAt).toLocaleString()}`);
  const rename = el('button', '', 'Rename');
  rename.type = 'button';
  rename.setAttribute('aria-label', `Rename “${c.title || 'Untitled chat'}”`);
  rename.addEventListener('click', async () => {
    const title = window.prompt('New name for this chat:', c.title);
    if (!title?.trim()) return;
    await api(`/api/conversations/${c.id}`, { title: title.trim() }, 'PATCH').catch((e) => toast(errorText(e)));
    void listConversations();
  });
  const remove = el('button', '', 'Delete');
  remove.type = 'button';
  remove.setAttribute('aria-label', `Delete “${c.title || 'Untitled chat'}”`);
  remove.addEventListener('click', async () => {
    if (!window.confirm(`Delete “${c.title || 'Untitled chat'}”? This cannot be undone.`)) return;
    await api(`/api/conversations/${c.id}`, undefined, 'DELETE').catch((e) => toast(errorText(e)));
    if (state.conversationId === c.id) newChat();
    void listConversations();
  });
  li.append(open, detail, rename, remove);
  return li;
}

// ---------------------------------------------------------------- source card

/** @param {string} paperId @returns {Promise<PaperRecord>} */
function paperRecord(paperId) {
  let record = state.papers.get(paperId);
  if (!record) {
    record = api(`/api/papers/${encodeURIComponent(paperId)}`);
    record.catch(() => state.papers.delete(paperId));
    state.papers.set(paperId, record);
  }
  return record;
}

let cardFor = /** @type {string | null} */ (null);
let cardOpener = /** @type {HTMLElement | null} */ (null);
/** @type {{ paperId: string, label: string } | null} */
let cardPaper = null;

/**
 * @param {PaperRecord} paper @param {Array<{ start: number, end: number }>} spans
 */
function fillCard(paper, spans) {
  const card = $('#card');
  /** @type {HTMLElement} */ (card.querySelector('h3')).textContent = paper.title ?? paper.label;
  const authors = paper.authors.map((a) => (a.given ? `${a.given} ${a.family}` : a.family)).join(', ') + (paper.authorsTruncated ? ', et al.' : '');
  const where = [paper.volume && `vol. ${paper.volume}`, paper.issue && `no. ${paper.issue}`, paper.pages && `pp. ${paper.pages}`].filter(Boolean).join(', ');
  /** @type {HTMLElement} */ (card.querySelector('.meta')).textContent = [authors || paper.label, paper.year ?? 'n.d.', paper.venue, where].filter(Boolean).join(' · ');
  /** @type {HTMLElement} */ (card.querySelector('.facts')).textContent = [paper.design, paper.sampleSize].filter(Boolean).join(' · ');
  /** @type {HTMLElement} */ (card.querySelector('.links')).replaceChildren(...paperLinks(paper));
  /** @type {HTMLElement} */ (card.querySelector('.ask-paper')).hidden = paper.hasText === false;
  const abstract = /** @type {HTMLElement} */ (card.querySelector('.abstract'));
  if (!paper.abstract) {
    abstract.textContent = paper.hasText ? 'No abstract: this record has only a title.' : 'No title or abstract in this record.';
    return;
  }
  renderAbstract(abstract, paper.abstract, paper.sections ?? [], spans);
}

/** Shows the card at once with what is known, while the full record loads. @param {string} title @param {HTMLElement} opener */
function startCard(title, opener) {
  const card = $('#card');
  /** @type {HTMLElement} */ (card.querySelector('h3')).textContent = title;
  for (const sel of ['.meta', '.facts', '.links']) /** @type {HTMLElement} */ (card.querySelector(sel)).replaceChildren();
  /** @type {HTMLElement} */ (card.querySelector('.abstract')).textContent = 'Loading…';
  // The card docks in the view it was opened from: beside the conversation, or beside the paper list.
  const dock = opener.closest('#papers-view') ? $('#papers-side') : $('#side-panel');
  if (card.parentElement !== dock) dock.prepend(card);
  card.hidden = false;
  cardOpener = opener;
  if (dock.id === 'side-panel') openSheet(true);
  // On a phone the sheet takes the lower part of the screen: keep the cited sentence in view above it.
  requestAnimationFrame(() => {
    if (opener.closest('#log')) opener.scrollIntoView({ block: 'nearest' });
  });
}

/** @param {Citation} citation @param {HTMLElement} opener */
async function openCard(citation, opener) {
  if (cardFor === citation.paperId && !$('#card').hidden) return;
  cardFor = citation.paperId;
  cardPaper = { paperId: citation.paperId, label: citation.label };
  startCard(citation.title ?? citation.label, opener);
  // Highlights are offsets into the abstract; a title-only paper's "quote" is its title, the heading.
  const spans = (citation.spans ?? []).filter((s) => s.field !== 'title');
  try {
    const paper = await paperRecord(citation.paperId);
    if (cardFor !== citation.paperId) return;
    fillCard(paper, spans);
    // The abstract scrolls to the first cited sentence on its own, so the card's title stays in view.
    const abstract = /** @type {HTMLElement} */ ($('#card .abstract'));
    const mark = abstract.querySelector('[data-testid=evidence]');
    if (mark) abstract.scrollTop += mark.getBoundingClientRect().top - abstract.getBoundingClientRect().top - 24;
  } catch (error) {
    // A paper dropped by a later re-ingest still shows what the saved answer quoted.
    const abstract = /** @type {HTMLElement} */ ($('#card .abstract'));
    abstract.replaceChildren(el('p', 'hint', `${errorText(error)} What the answer quoted:`), ...(citation.spans ?? []).map((s) => el('mark', '', s.text)));
  }
}

/** @param {string} paperId @param {HTMLElement} opener @param {string} title */
async function openPaper(paperId, opener, title) {
  cardFor = paperId;
  startCard(title, opener);
  try {
    const paper = await paperRecord(paperId);
    cardPaper = { paperId, label: paper.label };
    fillCard(paper, []);
  } catch (error) {
    /** @type {HTMLElement} */ ($('#card .abstract')).textContent = errorText(error);
  }
}

function closeCard() {
  if ($('#card').hidden) return;
  $('#card').hidden = true;
  cardFor = null;
  openSheet(false);
  cardOpener?.focus();
}

/** On phones the sources and the card sit in a bottom sheet, in the page's flow (never over the answer). @param {boolean} open */
function openSheet(open) {
  $('.side').classList.toggle('open', open);
  $('#sheet-toggle').setAttribute('aria-expanded', String(open));
}

// ---------------------------------------------------------------- papers tab

async function searchPapers() {
  const list = $('#paper-list');
  const q = input('#paper-query').value.trim();
  const params = new URLSearchParams({ limit: '500', sort: /** @type {HTMLSelectElement} */ ($('#paper-sort')).value });
  if (q) params.set('q', q);
  for (const [id, key] of [['#paper-year-from', 'yearFrom'], ['#paper-year-to', 'yearTo']]) if (input(id).value) params.set(key, input(id).value);
  const design = /** @type {HTMLSelectElement} */ ($('#paper-design')).value;
  if (design) params.set('design', design);
  try {
    const result = await api(`/api/papers?${params}`);
    $('#paper-count').textContent = `${result.total} paper(s)${q ? ` matching “${q}”` : ''}${result.total > result.papers.length ? `, the first ${result.papers.length} shown` : ''}`;
    list.replaceChildren(...result.papers.map(paperRow));
  } catch (error) {
    $('#paper-count').textContent = `Could not list the papers. ${errorText(error)}`;
  }
}

/** @param {PaperRecord} p */
function paperRow(p) {
  const li = paperItem(p.title ?? p.label, [p.title ? p.label : '', ...factsOf(p), p.hasText ? '' : 'no text'], (e) => openPaper(p.paperId, /** @type {HTMLElement} */ (e.currentTarget), p.title ?? p.label));
  const box = el('input');
  box.type = 'checkbox';
  box.checked = state.selected.has(p.paperId);
  box.setAttribute('aria-label', `Select ${p.label}`);
  box.addEventListener('change', () => {
    if (box.checked) state.selected.set(p.paperId, p.label);
    else state.selected.delete(p.paperId);
    showSelection();
  });
  li.prepend(box);
  const links = paperLinks(p);
  if (links.length) {
    const line = el('span', 'links');
    line.append(...links);
    li.append(line);
  }
  return li;
}

function showSelection() {
  const n = state.selected.size;
  const askThese = /** @type {HTMLButtonElement} */ ($('#ask-about-these'));
  askThese.disabled = n === 0;
  askThese.textContent = n ? `Ask about these (${n})` : 'Ask about these';
  /** @type {HTMLButtonElement} */ ($('#clear-selection')).disabled = n === 0;
}

// ---------------------------------------------------------------- uploads

/** @param {File[]} files */
async function addFiles(files) {
  if (!files.length) return;
  showView('papers');
  const status = $('#upload-status');
  const errors = $('#upload-errors');
  errors.replaceChildren();
  status.textContent = `Uploading ${files.length} file(s)…`;
  try {
    let job = await uploadFiles(files);
    while (job.status === 'running') {
      const p = job.progress;
      status.textContent = p ? `Adding ${files.length} file(s): ${p.stage}, ${p.done} of ${p.total} ${p.unit}…` : `Adding ${files.length} file(s): ${job.notes.at(-1) ?? 'starting…'}`;
      await new Promise((r) => setTimeout(r, 400));
      job = await api(`/api/ingest/${job.id}`);
    }
    if (job.status === 'failed') {
      status.textContent = job.error;
      return;
    }
    const r = job.result;
    const records = r.files.reduce((/** @type {number} */ n, /** @type {{ records: number }} */ f) => n + f.records, 0);
    status.textContent =
      r.added + r.updated === 0
        ? `Nothing was added: no paper could be read from ${r.files.length === 1 ? 'the file' : `the ${r.files.length} files`} (the reasons are below). Check the files are exports in a format listed above, then add them again.`
        : `Done: ${records} paper(s) read from ${r.files.length} file(s): ${r.added} new, ${r.updated} already in the library (updated)${r.skipped ? `; ${r.skipped} record(s) or file(s) could not be read (below)` : ''}; ${r.chunks.embedded} passage(s) embedded. ${r.added ? 'The new papers are' : 'The updated papers are'} being served now.`;
    // Ingest's messages name their file (and line) already; a bare message gets them added.
    for (const f of r.files) for (const e of f.errors) errors.append(el('li', '', e.message.startsWith(f.file) ? e.message : `${f.file}${e.line ? `, line ${e.line}` : ''}: ${e.message}`));
    // The new build, shown now rather than at the next poll; seeing it refreshes this list too.
    await refreshStatus();
  } catch (error) {
    status.textContent = errorText(error);
  }
}

// ---------------------------------------------------------------- exports

/** Every paper the chat cites, as full records where the index still has them. */
async function citedPapers() {
  /** @type {Map<string, Citation>} */
  const cited = new Map();
  for (const t of state.turns) for (const c of t.result.citations) if (!cited.has(c.paperId)) cited.set(c.paperId, c);
  return Promise.all(
    [...cited.values()].map(async (c) => {
      const p = await paperRecord(c.paperId).catch(() => null);
      // A paper gone since (a re-ingest) is exported from what the saved answer recorded of it.
      return p ? { ...p, id: p.paperId } : { id: c.paperId, label: c.label, title: c.title, authors: c.authors.map((name) => ({ family: name })), year: c.year, venue: c.venue, doi: c.doi, url: c.url };
    }),
  );
}

/** @param {string} name @param {string} type @param {string} text */
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** @param {string} text */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/** @param {string} text */
function toast(text) {
  const t = $('#toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 5000);
}
let toastTimer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);

// ---------------------------------------------------------------- wiring

function resetChat() {
  state.chat.abort();
  state.chat = new AbortController();
  state.busy = false;
  state.turns = [];
  $('#empty-hint').hidden = false;
  state.conversationId = null;
  state.title = '';
  state.scope = [];
  log().replaceChildren();
  $('#sources-list').replaceChildren();
  /** @type {HTMLElement} */ ($('.sources .hint')).hidden = false;
  $('#sources-title').textContent = 'Sources';
  $('#sheet-toggle').textContent = 'Sources';
  $('#card').hidden = true;
  cardFor = null;
  openSheet(false);
  showFilters();
  updateButtons();
}

function newChat() {
  resetChat();
  document.title = 'Abstracts chat';
  if (location.pathname !== '/') history.pushState(null, '', '/');
  /** @type {HTMLElement} */ ($('#question')).focus();
}

/** @param {string} view */
function showView(view) {
  for (const t of document.querySelectorAll('.tab')) t.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (t).dataset.view === view));
  $('#chat-view').hidden = view !== 'chat';
  $('#papers-view').hidden = view !== 'papers';
  $('#chats-view').hidden = view !== 'chats';
  if (view === 'papers' && !$('#paper-list').children.length) void searchPapers();
  if (view === 'chats') void listConversations();
}

/** The conversation an address names: /c/<id>. */
const conversationInPath = () => /^\/c\/([^/]+)$/.exec(location.pathname)?.[1] ?? null;

$('#ask').addEventListener('submit', (e) => {
  e.preventDefault();
  const box = /** @type {HTMLTextAreaElement} */ ($('#question'));
  const question = box.value.trim();
  if (!question || !state.ready || state.busy) return;
  box.value = '';
  void ask(question);
});
$('#question').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    /** @type {HTMLFormElement} */ ($('#ask')).requestSubmit();
  }
});
$('#summarize').addEventListener('click', summarize);
$('#new-chat').addEventListener('click', newChat);
$('#filters').addEventListener('input', showFilters);
$('#filters').addEventListener('submit', (e) => e.preventDefault());
$('#card .close').addEventListener('click', closeCard);
$('#card .ask-paper').addEventListener('click', () => {
  if (!cardPaper) return;
  setScope([cardPaper]);
  closeCard();
  showView('chat');
  /** @type {HTMLElement} */ ($('#question')).focus();
});
$('#sheet-toggle').addEventListener('click', () => openSheet(!$('.side').classList.contains('open')));
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  closeCard();
  openSheet(false);
});
// A click outside the card (and not on what opens one) closes it.
document.addEventListener('click', (e) => {
  const target = /** @type {Element} */ (e.target);
  if (!$('#card').hidden && !target.closest('#card, .citation, .source-link, .sheet-toggle, .answer-tools')) closeCard();
});
$('#export-markdown').addEventListener('click', async () => {
  const text = markdownExport(
    state.turns.map((t) => ({ ...t, question: t.kind === 'summarize' ? summaryHeading(t.question) : t.question })),
    state.title || undefined,
  );
  document.body.dataset.lastExport = text;
  toast((await copyText(text)) ? 'The chat was copied as Markdown.' : 'Copy failed: the browser blocked the clipboard.');
});
$('#export-bibtex').addEventListener('click', async () => download('cited-papers.bib', 'application/x-bibtex', bibtexExport(await citedPapers())));
$('#export-ris').addEventListener('click', async () => download('cited-papers.ris', 'application/x-research-info-systems', risExport(await citedPapers())));
$('#paper-search').addEventListener('submit', (e) => {
  e.preventDefault();
  void searchPapers();
});
for (const id of ['#paper-sort', '#paper-design', '#paper-year-from', '#paper-year-to']) $(id).addEventListener('change', () => void searchPapers());
$('#ask-about-these').addEventListener('click', () => {
  setScope([...state.selected].map(([paperId, label]) => ({ paperId, label })));
  showView('chat');
  /** @type {HTMLElement} */ ($('#question')).focus();
});
$('#clear-selection').addEventListener('click', () => {
  state.selected.clear();
  for (const box of document.querySelectorAll('#paper-list input[type=checkbox]')) /** @type {HTMLInputElement} */ (box).checked = false;
  showSelection();
});
$('#file-input').addEventListener('change', () => {
  const picker = input('#file-input');
  void addFiles([...(picker.files ?? [])]);
  picker.value = '';
});
// Files dropped anywhere on the page are added; the drop zone shows where they go.
document.addEventListener('dragover', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  e.preventDefault();
  $('#dropzone').classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (!e.relatedTarget) $('#dropzone').classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  if (!e.dataTransfer?.files.length) return;
  e.preventDefault();
  $('#dropzone').classList.remove('dragging');
  void addFiles([...e.dataTransfer.files]);
});
for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => showView(/** @type {HTMLElement} */ (tab).dataset.view ?? 'chat'));
window.addEventListener('popstate', () => {
  const id = conversationInPath();
  if (id) void openConversation(id);
  else resetChat();
});

// Filters start open where there is room for them, folded on a phone.
/** @type {HTMLDetailsElement} */ ($('#filter-panel')).open = window.matchMedia('(min-width: 761px)').matches;
showFilters();
updateButtons();
void pollStatus();
const opening = conversationInPath();
if (opening) void openConversation(opening);
