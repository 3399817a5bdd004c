/**
 * The page's only script, served as /mirror.js (a file, because the CSP allows no inline script) and bundled for the
 * browser by src/mirror-page/assets.ts. The form works without it, as a plain GET; with it, the answer is fetched and
 * swapped in place, as soon as the input holds a whole time or when the form is sent, and the URL follows so it can be
 * shared.
 */
import { TIME_PATTERN } from '../../mirror.ts';

// eslint-disable-next-line security/detect-non-literal-regexp -- the schema's own constant pattern, not input
const TIME = new RegExp(TIME_PATTERN);

function element<T extends HTMLElement>(root: Document, id: string, type: new () => T): T {
  const found = root.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing from the page`);
  return found;
}

const form = element(document, 'mirror-form', HTMLFormElement);
const input = element(document, 'time', HTMLInputElement);
const answer = element(document, 'answer', HTMLDivElement);
let inFlight: AbortController | undefined;
// What the page shows, or is fetching: pressing Enter on a time already shown asks for nothing more.
let shown = new URLSearchParams(location.search).get('time');

async function show(value: string): Promise<void> {
  if (value === shown) return;
  shown = value;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const url = `/mirror?${new URLSearchParams({ time: value }).toString()}`;
  try {
    const response = await fetch(url, { signal: controller.signal });
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    answer.replaceChildren(...element(page, 'answer', HTMLDivElement).childNodes);
    const fresh = element(page, 'time', HTMLInputElement);
    for (const name of ['aria-invalid', 'aria-describedby']) input.setAttribute(name, fresh.getAttribute(name) ?? '');
    document.title = page.title;
    history.replaceState(null, '', url);
  } catch (error) {
    // Superseded by a newer request: that one will answer. Anything else: let the browser send the form.
    if (!(error instanceof DOMException && error.name === 'AbortError')) form.submit();
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void show(input.value);
});
input.addEventListener('input', () => {
  if (TIME.test(input.value)) void show(input.value);
});
