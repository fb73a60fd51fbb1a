// Small pieces every screen uses: labelled fields with their errors, the page-level alert, the
// progress indicator. Names and roles follow UI.md, so people and tests find the same things.
import { html, useEffect, useState } from "./preact-htm.js";
import { activity, api, Problem } from "./api.js";

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

/** Whether the signed-in member administers the organization (UI.md, Roles). */
export const isAdmin = (me) => me.role === "admin" || me.role === "owner";

/** A collection the screen shows: `data` (null while loading), the `problem` of a failed load, `reload()`. */
export function useCollection(path) {
  const [data, setData] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = async () => {
    if (!path) return;
    try {
      setData((await api("GET", path)).data);
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { setData(null); reload(); }, [path]);
  return { data, problem, reload };
}

/** Runs a call for a button or a form: its failure becomes the screen's problem, its success clears it. */
export function useAction(setProblem) {
  return async (work) => {
    setProblem(null);
    try {
      return await work();
    } catch (error) {
      setProblem(error instanceof Problem ? error : new Problem(0, null));
      return undefined;
    }
  };
}

/** A secret shown once (an API key, an invitation link), read-only with a "Copy" button. */
export function OneTimeSecret({ label, value, note }) {
  const id = useId("secret");
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const input = document.getElementById(id);
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      input.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
  };
  return html`
    <div class="secret" role="group" aria-label=${label}>
      <label for=${id}>${label}</label>
      <div class="secret-row">
        <input id=${id} readonly value=${value} onFocus=${(e) => e.target.select()} />
        <button type="button" onClick=${copy}>Copy</button>
      </div>
      <p class="detail" role="status">${copied ? "Copied." : note}</p>
    </div>`;
}

/** What an empty list says: what to do next. */
export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** A select of roles (API.md: owner > admin > member > viewer). Only an owner is offered
 *  "owner" (the server refuses it to others anyway); a label other than "Role" is visually
 *  hidden (one per table row). */
export function RoleSelect({ value, onChange, label = "Role", owner }) {
  const id = useId("role");
  return html`<div class="field inline"><label for=${id} class=${label === "Role" ? "" : "visually-hidden"}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
      ${["viewer", "member", "admin", "owner"].filter((r) => owner || r !== "owner" || value === "owner").map((r) => html`<option value=${r}>${r}</option>`)}
    </select></div>`;
}
