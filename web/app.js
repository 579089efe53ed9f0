// The chat page. No framework: a few functions over the DOM. Everything that comes from the
// server (answers, abstracts, titles) is put on the page with textContent, never as HTML.
import { bibtexExport, risExport } from './exports.js';

const $ = (selector) => document.querySelector(selector);

const state = {
  history: [],
  /** The latest assistant result, for the sources panel and the exports. */
  latest: null,
  papers: new Map(),
  apiKey: localStorage.getItem('abstracts-chat-api-key') || '',
};

// ---------------------------------------------------------------- HTTP

function headers() {
  const h = { 'content-type': 'application/json' };
  if (state.apiKey) h.authorization = `Bearer ${state.apiKey}`;
  return h;
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? { headers: headers() } : { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  if (res.status === 401 && askForKey()) return api(path, body);
  if (!res.ok) throw new Error(await errorMessage(res));
  return res.json();
}

async function errorMessage(res) {
  try {
    const json = await res.json();
    return json.error?.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

function askForKey() {
  const key = window.prompt('This server needs an API key:');
  if (!key) return false;
  state.apiKey = key.trim();
  localStorage.setItem('abstracts-chat-api-key', state.apiKey);
  return true;
}

/** POSTs and reads Server-Sent Events, calling onEvent(name, data) for each. */
async function streamEvents(path, body, onEvent) {
  const res = await fetch(path, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  if (res.status === 401 && askForKey()) return streamEvents(path, body, onEvent);
  if (!res.ok) throw new Error(await errorMessage(res));
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n');
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

// ---------------------------------------------------------------- status

// The status line follows the server: while the index builds it polls quickly; once ready it keeps
// polling slowly, so a new build (an ingest while the page is open) shows up without a reload.
let shownBuild = null;
let updatedAt = null;
async function loadStatus() {
  try {
    const h = await api('/api/health');
    if (h.status !== 'ready') {
      $('[data-testid=status]').textContent = `Index ${h.status}${h.message ? `: ${h.message}` : ''}…`;
      setTimeout(loadStatus, 1500);
      return;
    }
    const model = h.embedding ? h.embedding.model : 'unknown model';
    if (shownBuild !== null && shownBuild !== h.buildId) updatedAt = new Date();
    shownBuild = h.buildId;
    const updated = updatedAt ? ` · index updated at ${updatedAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : '';
    $('[data-testid=status]').textContent =
      `${h.papers} papers (${h.papersWithText} with text) · ${h.chunks} passages · embeddings: ${model}${h.embedding?.offline ? ' (offline fallback)' : ''} · answers: ${h.answerer === 'llm' ? `LLM (${h.llmModel})` : 'extractive'}${updated}`;
    $('[data-testid=status]').title = h.builtAt ? `Index built ${new Date(h.builtAt).toLocaleString()}` : '';
    const notice = $('[data-testid=model-notice]');
    if (h.embedding?.offline) {
      notice.hidden = false;
      notice.textContent =
        h.embedding.wanted === 'offline'
          ? 'Using the built-in offline embedding model: retrieval is close to keyword matching.'
          : `The embedding model ${h.embedding.wanted} is not available (${h.embedding.fallbackReason}); using the built-in offline model, so retrieval is close to keyword matching. Run "npm run fetch-model" with internet access to fix this.`;
    }
    setTimeout(loadStatus, STATUS_POLL_MS);
  } catch (error) {
    $('[data-testid=status]').textContent = `Cannot reach the server: ${error.message}`;
    setTimeout(loadStatus, 3000);
  }
}
const STATUS_POLL_MS = Number(new URLSearchParams(location.search).get('statusPoll')) || 10_000;

// ---------------------------------------------------------------- filters

function currentFilters() {
  const filters = {};
  const from = Number.parseInt($('#year-from').value, 10);
  const to = Number.parseInt($('#year-to').value, 10);
  const author = $('#author').value.trim();
  if (Number.isInteger(from)) filters.yearFrom = from;
  if (Number.isInteger(to)) filters.yearTo = to;
  if (author) filters.authors = author;
  return filters;
}

function showFilters() {
  const f = currentFilters();
  const parts = [];
  if (f.yearFrom || f.yearTo) parts.push(`years ${f.yearFrom ?? '…'}–${f.yearTo ?? '…'}`);
  if (f.authors) parts.push(`author contains “${f.authors}”`);
  $('[data-testid=active-filters]').textContent = parts.length ? `Filtering: ${parts.join(', ')} (applies to the next question)` : 'No filters';
}

// ---------------------------------------------------------------- chat log

function addMessage(role, text) {
  const li = document.createElement('li');
  li.className = `message ${role}`;
  const body = document.createElement('div');
  body.className = 'body';
  body.textContent = text;
  li.append(body);
  $('#log').append(li);
  // The question box is sticky at the bottom: keep a message clear of it when scrolling to it.
  li.style.scrollMarginBottom = `${($('.ask')?.offsetHeight ?? 0) + 16}px`;
  li.scrollIntoView({ block: 'end' });
  return li;
}

/** Renders an answer from its segments: each segment's text, then a chip per citation; "## " segments as headings. */
function renderSegments(container, segments, citations, themes = []) {
  container.replaceChildren();
  const byN = new Map(citations.map((c) => [c.n, c]));
  let theme = null;
  for (const [i, segment] of segments.entries()) {
    const heading = /^## (.*)$/.exec(segment.text);
    if (heading) {
      const h = document.createElement('h4');
      h.className = 'theme';
      h.textContent = heading[1];
      container.append(h);
      theme = themes.find((t) => heading[1] === t.theme || heading[1] === `Shared: ${t.theme}`) ?? null;
      continue;
    }
    // A summary theme's first line says how many papers report it and whether they agree.
    if (theme && segment.citations.length === 0 && /^## /.test(segments[i - 1]?.text ?? '')) {
      const note = document.createElement('p');
      note.className = `agreement ${theme.agreement}`;
      note.dataset.testid = 'agreement';
      note.dataset.agreement = theme.agreement;
      note.textContent = segment.text;
      container.append(note);
      continue;
    }
    if (container.lastChild && container.lastChild.nodeName !== 'H4' && container.lastChild.nodeName !== 'P') container.append(document.createTextNode(' '));
    container.append(document.createTextNode(segment.text));
    for (const n of [...new Set(segment.citations.map((c) => c.n))]) container.append(' ', citationChip(n, byN.get(n)));
  }
}

/** While an answer streams it is plain text; its citations become chips when it is done. */
function renderStreaming(container, text) {
  container.textContent = text;
}

function citationChip(n, c) {
  const chip = document.createElement('button');
  chip.type = 'button';
  chip.className = `citation${c && !c.supported ? ' unsupported' : ''}`;
  chip.dataset.testid = 'citation';
  chip.dataset.n = String(n);
  chip.textContent = String(n);
  chip.setAttribute('aria-label', c ? `Source ${n}: ${c.label}${c.supported ? '' : ' (not clearly supported)'}` : `Source ${n}`);
  if (c) {
    chip.addEventListener('click', () => openCard(c, chip));
    chip.addEventListener('mouseenter', () => openCard(c, chip));
    chip.addEventListener('focus', () => openCard(c, chip));
  }
  return chip;
}

function showResult(li, result) {
  const body = li.querySelector('.body');
  renderSegments(body, result.segments ?? [{ text: result.answer, citations: [] }], result.citations, result.themes);
  for (const old of document.querySelectorAll('[data-testid=answer]')) old.removeAttribute('data-testid');
  body.dataset.testid = 'answer';
  li.classList.toggle('refusal', !result.answerable);
  for (const text of [result.notice].filter(Boolean)) {
    const p = document.createElement('p');
    p.className = 'notice';
    p.textContent = text;
    li.append(p);
  }
  if (result.safety === 'crisis') li.classList.add('crisis');
  state.latest = result;
  showSources(result);
  // A reply is read from its start, clear of the question box.
  li.style.scrollMarginTop = '0.5rem';
  li.scrollIntoView({ block: li.offsetHeight > window.innerHeight - (($('.ask')?.offsetHeight ?? 0) + 32) ? 'start' : 'end' });
  for (const id of ['export-markdown', 'export-bibtex', 'export-ris']) $(`#${id}`).disabled = !(result.citations?.length > 0);
}

function showError(li, message) {
  li.classList.add('error');
  li.querySelector('.body').textContent = `Something went wrong: ${message}`;
}

function sourceItem(label, detail, onOpen) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'source-link';
  button.textContent = label;
  button.addEventListener('click', onOpen);
  const small = document.createElement('span');
  small.className = 'detail';
  small.textContent = detail;
  li.append(button, small);
  return li;
}

function showSources(result) {
  const list = $('#sources-list');
  list.replaceChildren();
  $('.sources .hint').hidden = true;
  if (result.citations.length) {
    $('#sources-title').textContent = 'Sources';
    for (const c of result.citations) {
      const facts = [c.year ?? 'n.d.', c.design, c.sampleSize].filter(Boolean).join(' · ');
      list.append(sourceItem(`[${c.n}] ${c.title ?? c.label}`, `${c.title ? `${c.label} · ` : ''}${facts}`, (e) => openCard(c, e.currentTarget)));
    }
  } else {
    $('#sources-title').textContent = result.closest?.length ? 'Closest papers (not cited)' : 'Sources';
    for (const p of result.closest ?? []) {
      list.append(sourceItem(p.title ?? p.label, `${p.label} · relevance ${p.score}`, (e) => openPaper(p.paperId, e.currentTarget, p.title ?? p.label)));
    }
  }
}

async function ask(question) {
  const filters = currentFilters();
  addMessage('user', question);
  const li = addMessage('assistant', '');
  li.classList.add('pending');
  const body = li.querySelector('.body');
  let streamed = '';
  try {
    await streamEvents('/api/chat', { question, history: state.history.slice(-8), filters }, (event, data) => {
      if (event === 'token') {
        streamed += data.text;
        renderStreaming(body, streamed);
      } else if (event === 'done') {
        li.classList.remove('pending');
        showResult(li, data);
        // The cited papers travel with the answer, so a follow-up ("how many took part?") is asked of them.
        state.history.push({ role: 'user', content: question }, { role: 'assistant', content: data.answer, paperIds: data.citations.map((c) => c.paperId) });
      } else if (event === 'error') throw new Error(data.error?.message ?? 'the answer failed');
    });
  } catch (error) {
    li.classList.remove('pending');
    showError(li, error.message);
  }
}

async function summarize() {
  const topic = $('#question').value.trim();
  const cited = state.latest?.citations?.map((c) => c.paperId) ?? [];
  if (!topic && cited.length === 0) {
    toast('Type a topic, or ask a question first to summarise the papers it cites.');
    return;
  }
  addMessage('user', topic ? `Summarize: ${topic}` : `Summarize the ${cited.length} cited paper(s)`);
  const li = addMessage('assistant', 'Summarising…');
  try {
    const result = await api('/api/summarize', topic ? { topic, filters: currentFilters() } : { paperIds: cited });
    $('#question').value = '';
    showResult(li, { ...result, answer: result.summary, answerable: result.citations.length > 0 });
  } catch (error) {
    showError(li, error.message);
  }
}

// ---------------------------------------------------------------- source card

async function paperRecord(paperId) {
  if (!state.papers.has(paperId)) state.papers.set(paperId, api(`/api/papers/${encodeURIComponent(paperId)}`));
  return state.papers.get(paperId);
}

function fillCard(paper, spans) {
  const card = $('[data-testid=source-card]');
  card.querySelector('h3').textContent = paper.title ?? paper.label;
  const authors = paper.authors.map((a) => (a.given ? `${a.given} ${a.family}` : a.family)).join(', ') + (paper.authorsTruncated ? ', et al.' : '');
  card.querySelector('.meta').textContent = [paper.title ? paper.label : null, authors, paper.year ?? 'n.d.', paper.venue, [paper.volume, paper.issue && `(${paper.issue})`, paper.pages].filter(Boolean).join(' ')].filter(Boolean).join(' · ');
  card.querySelector('.facts').textContent = [paper.design, paper.sampleSize].filter(Boolean).join(' · ');
  const doi = card.querySelector('.doi');
  doi.replaceChildren();
  if (paper.doi) {
    const a = document.createElement('a');
    a.href = `https://doi.org/${encodeURI(paper.doi)}`;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    a.textContent = `https://doi.org/${paper.doi}`;
    doi.append(a);
  }
  const abstract = card.querySelector('.abstract');
  abstract.replaceChildren();
  if (!paper.abstract) {
    abstract.textContent = paper.hasText ? 'No abstract: this record has only a title.' : 'No title or abstract in this record.';
    return;
  }
  // Highlight the supporting spans by offset: the quote is exactly abstract.slice(start, end).
  const marks = [...spans].sort((a, b) => a.start - b.start);
  let last = 0;
  for (const s of marks) {
    if (s.start < last) continue;
    abstract.append(document.createTextNode(paper.abstract.slice(last, s.start)));
    const mark = document.createElement('mark');
    mark.dataset.testid = 'evidence';
    mark.textContent = paper.abstract.slice(s.start, s.end);
    abstract.append(mark);
    last = s.end;
  }
  abstract.append(document.createTextNode(paper.abstract.slice(last)));
}

let cardFor = null;

/** Shows the card at once with what is known, while the full record loads. */
function startCard(title, anchor) {
  const card = $('[data-testid=source-card]');
  card.querySelector('h3').textContent = title;
  for (const sel of ['.meta', '.facts', '.doi']) card.querySelector(sel).replaceChildren();
  card.querySelector('.abstract').textContent = 'Loading…';
  showCard(anchor);
}

async function openCard(citation, anchor) {
  if (cardFor === citation.paperId && !$('#card-layer').hidden) return;
  cardFor = citation.paperId;
  startCard(citation.title ?? citation.label, anchor);
  // Highlights are offsets into the abstract; a title-only paper's "quote" is its title, shown as the heading.
  const spans = (citation.spans ?? []).filter((s) => s.field !== 'title');
  try {
    const paper = await paperRecord(citation.paperId);
    if (cardFor !== citation.paperId) return;
    fillCard(paper, spans);
    showCard(anchor);
    $('[data-testid=evidence]')?.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    toast(`Could not open the source: ${error.message}`);
  }
}

async function openPaper(paperId, anchor, title) {
  cardFor = paperId;
  startCard(title ?? '', anchor);
  try {
    fillCard(await paperRecord(paperId), []);
    showCard(anchor);
  } catch (error) {
    toast(`Could not open the paper: ${error.message}`);
  }
}

function showCard(anchor) {
  const layer = $('#card-layer');
  layer.hidden = false;
  layer.dataset.anchor = anchor?.dataset?.n ?? '';
}

function closeCard() {
  $('#card-layer').hidden = true;
  cardFor = null;
}

// ---------------------------------------------------------------- paper browser

async function searchPapers(q) {
  const list = $('#paper-list');
  try {
    const result = await api(`/api/papers?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    $('#paper-count').textContent = `${result.total} paper(s)${q ? ` matching “${q}”` : ''}`;
    list.replaceChildren(
      ...result.papers.map((p) =>
        sourceItem(p.title ?? p.label, `${p.title ? `${p.label} · ` : ''}${[p.design, p.sampleSize].filter(Boolean).join(' · ')}${p.hasText ? '' : ' · no text'}`, (e) =>
          openPaper(p.paperId, e.currentTarget, p.title ?? p.label),
        ),
      ),
    );
  } catch (error) {
    $('#paper-count').textContent = `Could not list papers: ${error.message}`;
  }
}

// ---------------------------------------------------------------- exports

function markdownExport(result) {
  const refs = result.citations.map((c) => {
    const where = [c.venue, c.doi ? `https://doi.org/${c.doi}` : c.url].filter(Boolean).join('. ');
    return `${c.n}. ${c.authors.join(', ') || c.label} (${c.year ?? 'n.d.'}). ${c.title ?? '[untitled]'}.${where ? ` ${where}.` : ''}${c.quote ? `\n   > ${c.quote}` : ''}`;
  });
  return `${result.answer}\n\n## References\n\n${refs.join('\n')}\n`;
}

async function citedPapers() {
  const ids = [...new Set(state.latest.citations.map((c) => c.paperId))];
  return Promise.all(ids.map(paperRecord));
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

function toast(text) {
  const t = $('#toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 4000);
}

// ---------------------------------------------------------------- wiring

function newChat() {
  state.history = [];
  state.latest = null;
  $('#log').replaceChildren();
  $('#sources-list').replaceChildren();
  $('.sources .hint').hidden = false;
  $('#sources-title').textContent = 'Sources';
  for (const id of ['export-markdown', 'export-bibtex', 'export-ris']) $(`#${id}`).disabled = true;
  closeCard();
  $('#question').focus();
}

$('#ask').addEventListener('submit', (e) => {
  e.preventDefault();
  const question = $('#question').value.trim();
  if (!question) return;
  $('#question').value = '';
  ask(question);
});
$('#question').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('#ask').requestSubmit();
  }
});
$('#summarize').addEventListener('click', summarize);
$('#new-chat').addEventListener('click', newChat);
$('#filters').addEventListener('input', showFilters);
$('#filters').addEventListener('submit', (e) => e.preventDefault());
$('#card-layer .close').addEventListener('click', closeCard);
document.addEventListener('keydown', (e) => e.key === 'Escape' && closeCard());
$('#export-markdown').addEventListener('click', async () => {
  if (!state.latest) return;
  const text = markdownExport(state.latest);
  document.body.dataset.lastExport = text;
  toast((await copyText(text)) ? 'Answer copied as Markdown.' : 'Copy failed; your browser blocked the clipboard.');
});
$('#export-bibtex').addEventListener('click', async () => download('cited-papers.bib', 'application/x-bibtex', bibtexExport(await citedPapers())));
$('#export-ris').addEventListener('click', async () => download('cited-papers.ris', 'application/x-research-info-systems', risExport(await citedPapers())));
$('#paper-search').addEventListener('submit', (e) => {
  e.preventDefault();
  searchPapers($('#paper-query').value.trim());
});
for (const tab of document.querySelectorAll('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tab')) t.setAttribute('aria-pressed', String(t === tab));
    $('#chat-view').hidden = tab.dataset.view !== 'chat';
    $('#papers-view').hidden = tab.dataset.view !== 'papers';
    if (tab.dataset.view === 'papers' && !$('#paper-list').children.length) searchPapers('');
  });
}

showFilters();
loadStatus();
