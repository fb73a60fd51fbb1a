// Small pieces every screen uses: labelled fields with their errors, the page-level alert, the
// progress indicator. Names and roles follow UI.md, so people and tests find the same things.
import { html, useEffect, useState } from "./preact-htm.js";
import { activity } from "./api.js";

let ids = 0;
export function useId(prefix) {
  const [id] = useState(() => `${prefix}-${++ids}`);
  return id;
}

/** An input with its label, and the problem's message for it beside it (aria-describedby). */
export function Field({ label, name, type = "text", value, onInput, problem, required, autocomplete, children }) {
  const id = useId(name);
  const message = problem?.fieldError(name);
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      ${children
        ? children(id, message ? `${id}-error` : undefined)
        : html`<input id=${id} name=${name} type=${type} value=${value} required=${required} autocomplete=${autocomplete}
            aria-invalid=${message ? "true" : undefined} aria-describedby=${message ? `${id}-error` : undefined}
            onInput=${(e) => onInput(e.target.value)} />`}
      ${message && html`<p class="field-error" id=${`${id}-error`}>${message}</p>`}
    </div>`;
}

/** A failed call: the problem's title and detail, for people and screen readers. */
export function Alert({ problem }) {
  if (!problem) return null;
  return html`<div class="alert" role="alert"><strong>${problem.title}</strong>${problem.detail ? html` — ${problem.detail}` : ""}</div>`;
}

/** "Working…" while a call takes longer than 300 ms. */
export function Progress() {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    let timer = null;
    const listener = (pending) => {
      clearTimeout(timer);
      if (pending > 0) timer = setTimeout(() => setVisible(true), 300);
      else setVisible(false);
    };
    activity.listeners.add(listener);
    return () => { activity.listeners.delete(listener); clearTimeout(timer); };
  }, []);
  return visible ? html`<div class="progress" role="progressbar" aria-label="Working">Working…</div>` : null;
}

/** Money as people read it: "USD 1,000.50 · EUR 20.00". */
export function formatAmounts(amounts) {
  if (!amounts?.length) return "—";
  return amounts
    .map(({ currency, amount }) => new Intl.NumberFormat("en", { style: "currency", currency }).format(amount))
    .join(" · ");
}
