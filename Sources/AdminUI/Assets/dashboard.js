// The dashboard (UI.md): the five figures of GET /insights/summary and a "Pipeline by stage"
// chart from GET /insights/pipeline, drawn as plain SVG.
import { html, useEffect, useState } from "./preact-htm.js";
import { api } from "./api.js";
import { Alert, formatAmounts } from "./ui.js";

function Figure({ label, value, detail }) {
  return html`<section class="figure" aria-label=${label}>
    <h2>${label}</h2><p class="value">${value ?? "—"}</p>${detail && html`<p class="detail">${detail}</p>`}
  </section>`;
}

/** Bars of each stage's deal count, labelled with the stage and its amounts. */
function PipelineChart({ insights }) {
  const stages = insights?.stages ?? [];
  const most = Math.max(1, ...stages.map((s) => s.count));
  const rowHeight = 28;
  const height = Math.max(rowHeight, stages.length * rowHeight);
  return html`
    <figure class="chart">
      <figcaption>Pipeline by stage${insights ? ` — ${insights.pipeline.name}` : ""}</figcaption>
      <svg role="img" aria-label="Pipeline by stage" viewBox=${`0 0 600 ${height}`} preserveAspectRatio="xMinYMin meet">
        ${stages.map((s, i) => {
          const y = i * rowHeight;
          const width = Math.round((s.count / most) * 250);
          return html`<g>
            <text x="0" y=${y + 18} class="label">${s.stage.name}</text>
            <rect x="130" y=${y + 6} width=${Math.max(width, 1)} height="16" class=${`bar ${s.stage.kind}`} />
            <text x=${138 + width} y=${y + 18} class="count">${s.count} · ${formatAmounts(s.amounts)}</text>
          </g>`;
        })}
      </svg>
    </figure>`;
}

export function Dashboard({ me }) {
  const [summary, setSummary] = useState(null);
  const [pipeline, setPipeline] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    setProblem(null);
    api("GET", "/insights/summary").then(setSummary).catch(setProblem);
    api("GET", "/insights/pipeline").then(setPipeline).catch(() => setPipeline(null));
  }, [me?.organization?.id]);
  const money = (figure) => figure && `${figure.count} deal${figure.count === 1 ? "" : "s"}`;
  return html`
    <main>
      <h1>Dashboard</h1>
      <${Alert} problem=${problem} />
      <div class="figures">
        <${Figure} label="Open pipeline" value=${money(summary?.openPipeline)} detail=${summary?.openPipeline && formatAmounts(summary.openPipeline.amounts)} />
        <${Figure} label="Won this month" value=${money(summary?.wonThisMonth)} detail=${summary?.wonThisMonth && formatAmounts(summary.wonThisMonth.amounts)} />
        <${Figure} label="Activities due today" value=${summary?.activitiesDueToday} />
        <${Figure} label="Overdue activities" value=${summary?.activitiesOverdue} />
        <${Figure} label="New contacts (30 days)" value=${summary?.newContacts30d} />
      </div>
      <${PipelineChart} insights=${pipeline} />
    </main>`;
}
