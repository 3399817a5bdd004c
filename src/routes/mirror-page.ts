import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { clockFace } from '../clock-face.ts';
import { TIME_PATTERN, formatTime, mirror, parseTime, type ClockTime } from '../mirror.ts';
import { timeParameter } from './clock.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

const PageQuery = Type.Object(
  { time: Type.Optional(timeParameter('The time seen in the mirror.')) },
  { additionalProperties: false },
);

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * The page's only script, served as a file of our own because the CSP allows
 * no inline script. The form works without it, as a plain GET; with it, the
 * answer is fetched and swapped in place, as soon as the input holds a whole
 * time or when the form is sent, and the URL follows so it can be shared.
 */
const PAGE_SCRIPT = `'use strict';
const TIME = new RegExp(${JSON.stringify(TIME_PATTERN)});
const form = document.getElementById('mirror-form');
const input = document.getElementById('time');
const answer = document.getElementById('answer');
let inFlight;
// What the page shows, or is fetching: pressing Enter on a time already shown asks for nothing more.
let shown = new URLSearchParams(location.search).get('time');

async function show(value) {
  if (value === shown) return;
  shown = value;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const url = '/mirror?' + new URLSearchParams({ time: value });
  try {
    const response = await fetch(url, { signal: controller.signal });
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    answer.replaceChildren(...page.getElementById('answer').childNodes);
    const fresh = page.getElementById('time');
    for (const name of ['aria-invalid', 'aria-describedby']) input.setAttribute(name, fresh.getAttribute(name));
    document.title = page.title;
    history.replaceState(null, '', url);
  } catch (error) {
    // Superseded by a newer request: that one will answer. Anything else: let the browser send the form.
    if (error.name !== 'AbortError') form.submit();
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void show(input.value);
});
input.addEventListener('input', () => {
  if (TIME.test(input.value)) void show(input.value);
});
`;

const STYLE = `
body { margin: 0; font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933; background: #f7f9fb; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
label { flex-basis: 100%; font-weight: 600; }
input, button { font: inherit; font-size: 1.25rem; padding: 0.35rem 0.7rem; border: 2px solid #52606d; border-radius: 6px; }
input { width: 9ch; }
button { background: #1f2933; color: #fff; cursor: pointer; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
input[aria-invalid="true"] { border-color: #b00020; }
.hint { flex-basis: 100%; margin: 0; color: #52606d; }
.error { color: #b00020; font-weight: 600; }
.clocks { display: flex; flex-wrap: wrap; gap: 1rem 2rem; justify-content: center; }
figure { margin: 0; text-align: center; }
figure svg { width: min(240px, 40vw); height: auto; }
figcaption { font-weight: 600; }
`;

interface PageState {
  /** What the input holds: the caller's text, shown again so it can be corrected. */
  readonly value: string;
  /** The time seen in the mirror, when the value was one. */
  readonly seen?: ClockTime;
  /** Why the value is not a time. */
  readonly error?: string;
}

function renderAnswer(state: PageState): string {
  if (state.error !== undefined) return `<p class="error" id="time-error">${escapeHtml(state.error)}</p>`;
  if (state.seen === undefined) return '';
  const actual = mirror(state.seen);
  return (
    `<p>In the mirror the clock reads <strong>${formatTime(state.seen)}</strong>, ` +
    `so the real time is <strong>${formatTime(actual)}</strong>.</p>` +
    `<div class="clocks">` +
    `<figure>${clockFace(actual, 'mirror')}<figcaption>Seen in the mirror: ${formatTime(state.seen)}</figcaption></figure>` +
    `<figure>${clockFace(actual, 'actual')}<figcaption>The real clock: ${formatTime(actual)}</figcaption></figure>` +
    `</div>`
  );
}

function pageTitle(state: PageState): string {
  if (state.error !== undefined) return 'Clock Mirror: that is not a time';
  if (state.seen === undefined) return 'Clock Mirror: the clock in the mirror';
  return `Clock Mirror: ${formatTime(state.seen)} in the mirror is ${formatTime(mirror(state.seen))}`;
}

function renderPage(state: PageState): string {
  const invalid = state.error === undefined ? 'false' : 'true';
  const describedBy = state.error === undefined ? 'time-hint' : 'time-hint time-error';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${pageTitle(state)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script src="/mirror.js" defer></script>
</head>
<body>
<main>
<h1>The clock in the mirror</h1>
<p>Peter sees the office clock in a mirror. Type the time he reads there to see the clock as the mirror shows it beside the real one.</p>
<form id="mirror-form" action="/mirror" method="get">
<label for="time">Time seen in the mirror</label>
<input id="time" name="time" value="${escapeHtml(state.value)}" placeholder="12:22" inputmode="numeric" autocomplete="off" spellcheck="false" aria-describedby="${describedBy}" aria-invalid="${invalid}">
<button type="submit">Show the clocks</button>
<p class="hint" id="time-hint">HH:MM or HH:MM:SS, hours 1 to 12: for example 12:22.</p>
</form>
<div id="answer" aria-live="polite">${renderAnswer(state)}</div>
<p><a href="/">The API and its documentation</a></p>
</main>
</body>
</html>
`;
}

export const mirrorPageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The shared error handler answers a bad query with the API's JSON error body; on this page the
  // same message is shown in HTML instead, with the form to correct it. The hook is scoped to this plugin.
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (reply.statusCode < 400 || typeof type !== 'string' || !type.startsWith('application/json')) return payload;
    const { message } = JSON.parse(String(payload)) as { message: string };
    const { time } = request.query as { time?: unknown };
    void reply.type(HTML_TYPE);
    return renderPage({ value: typeof time === 'string' ? time : '', error: message });
  });

  app.get('/mirror', { schema: { hide: true, querystring: PageQuery } }, async (request, reply) => {
    const { time } = request.query;
    // The schema checked time against TIME_PATTERN, which parseTime() parses with.
    const state = time === undefined ? { value: '' } : { value: time, seen: parseTime(time) };
    return reply.type(HTML_TYPE).send(renderPage(state));
  });

  app.get('/mirror.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      // Short: the script ships with the page, and a new release may change both.
      .header('cache-control', 'public, max-age=300')
      .send(PAGE_SCRIPT),
  );
};
