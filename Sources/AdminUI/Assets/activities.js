// Activities by state (UI.md): "Due" (open, due today or later, or undated), "Overdue" (open,
// due before today, UTC), "Done" (completed); each open one has "Complete".
import { html, useEffect, useState } from "./preact-htm.js";
import { api } from "./api.js";
import { Alert } from "./ui.js";
import { display } from "./records.js";

const tabs = ["Due", "Overdue", "Done"];

function query(tab) {
  const today = new Date().toISOString().slice(0, 10) + "T00:00:00Z";
  if (tab === "Done") return "filter[completedAt][isNull]=false&sort=-completedAt";
  if (tab === "Overdue") return `filter[completedAt][isNull]=true&filter[dueAt][lt]=${today}&sort=dueAt`;
  return "filter[completedAt][isNull]=true&sort=dueAt";
}

export function Activities({ me }) {
  const [tab, setTab] = useState("Due");
  const [rows, setRows] = useState([]);
  const [problem, setProblem] = useState(null);
  const load = async () => {
    try {
      const today = new Date().toISOString().slice(0, 10);
      let data = (await api("GET", `/activities?limit=100&${query(tab)}`)).data;
      // Due: not before today (the API has no "or null" filter, so the overdue ones are left out here).
      if (tab === "Due") data = data.filter((a) => !a.dueAt || a.dueAt.slice(0, 10) >= today);
      setRows(data);
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { load(); }, [tab]);
  const complete = async (activity) => {
    try {
      await api("POST", `/activities/${activity.id}/complete`, undefined, { "If-Match": `"${activity.version}"` });
      await load();
    } catch (error) {
      setProblem(error);
    }
  };
  const keys = (event) => {
    const index = tabs.indexOf(tab);
    if (event.key === "ArrowRight") setTab(tabs[(index + 1) % tabs.length]);
    if (event.key === "ArrowLeft") setTab(tabs[(index - 1 + tabs.length) % tabs.length]);
  };
  return html`
    <main>
      <h1 tabindex="-1">Activities</h1>
      <div class="toolbar">
        <div role="tablist" aria-label="Activities" onKeyDown=${keys}>
          ${tabs.map((t) => html`<button type="button" role="tab" id=${`tab-${t}`} aria-selected=${t === tab}
            aria-controls="activity-panel" tabindex=${t === tab ? 0 : -1} class=${t === tab ? "" : "secondary"}
            onClick=${() => setTab(t)}>${t}</button>`)}
        </div>
        <a href="/admin/activities/list">All activities</a>
        ${me.role !== "viewer" && html`<a class="button" href="/admin/activities/new">New activity</a>`}
      </div>
      <${Alert} problem=${problem} />
      <div role="tabpanel" id="activity-panel" aria-labelledby=${`tab-${tab}`}>
        ${rows.length === 0 && html`<p>Nothing ${tab.toLowerCase()}.</p>`}
        <ul class="activities">${rows.map((a) => html`<li>
          <a href=${`/admin/activities/${a.id}`}>${a.subject}</a> <span class="detail">${a.type} · ${a.completedAt ? `done ${display(a.completedAt, { kind: "datetime" })}` : a.dueAt ? `due ${display(a.dueAt, { kind: "datetime" })}` : "no due date"}</span>
          ${!a.completedAt && me.role !== "viewer" && html`<button type="button" class="secondary" onClick=${() => complete(a)}>Complete</button>`}
        </li>`)}</ul>
      </div>
    </main>`;
}
