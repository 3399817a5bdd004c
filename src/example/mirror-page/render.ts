/** The /mirror page as HTML, rendered on the server; no I/O. */
import { IDENTITY } from '../../identity.ts';
import { clockFace } from '../clock-face.ts';
import { formatTime, mirror, type ClockTime } from '../mirror.ts';
import { EXAMPLE_MIRROR_TIME } from '../routes/schemas.ts';
import { PAGE_STYLE } from './assets.ts';

export interface PageState {
  /** What the input holds: the caller's text, shown again so it can be corrected. */
  readonly value: string;
  /** The time seen in the mirror, when the value was one. */
  readonly seen?: ClockTime;
  /** Why the value is not a time. */
  readonly error?: string;
}

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
  if (state.error !== undefined) return `${IDENTITY.name}: that is not a time`;
  if (state.seen === undefined) return `${IDENTITY.name}: the clock in the mirror`;
  return `${IDENTITY.name}: ${formatTime(state.seen)} in the mirror is ${formatTime(mirror(state.seen))}`;
}

export function renderPage(state: PageState): string {
  const invalid = state.error === undefined ? 'false' : 'true';
  const describedBy = state.error === undefined ? 'time-hint' : 'time-hint time-error';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${pageTitle(state)}</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
<script src="/mirror.js" defer></script>
</head>
<body>
<main>
<h1>The clock in the mirror</h1>
<p>Peter sees the office clock in a mirror. Type the time he reads there to see the clock as the mirror shows it beside the real one.</p>
<form id="mirror-form" action="/mirror" method="get">
<label for="time">Time seen in the mirror</label>
<input id="time" name="time" value="${escapeHtml(state.value)}" placeholder="${EXAMPLE_MIRROR_TIME}" inputmode="numeric" autocomplete="off" spellcheck="false" aria-describedby="${describedBy}" aria-invalid="${invalid}">
<button type="submit">Show the clocks</button>
<p class="hint" id="time-hint">HH:MM or HH:MM:SS, hours 1 to 12: for example ${EXAMPLE_MIRROR_TIME}.</p>
</form>
<div id="answer" aria-live="polite">${renderAnswer(state)}</div>
<p><a href="/">The API and its documentation</a></p>
</main>
</body>
</html>
`;
}
