// The pipeline board (UI.md): a column per stage with its count and amount, a card per deal.
// A card moves by dragging it to another column, or by its "Move" menu (the keyboard path);
// a refused move (a script's 422, a 412) puts the card back and shows the problem.
import { html, useEffect, useRef, useState } from "./preact-htm.js";
import { api } from "./api.js";
import { Alert, formatAmounts } from "./ui.js";

function MoveMenu({ deal, stages, onMove }) {
  const [open, setOpen] = useState(false);
  const menu = useRef(null);
  useEffect(() => { if (open) menu.current?.querySelector("[role=menuitem]")?.focus(); }, [open]);
  const keys = (event) => {
    const items = [...menu.current.querySelectorAll("[role=menuitem]")];
    const index = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown") { items[(index + 1) % items.length]?.focus(); event.preventDefault(); }
    if (event.key === "ArrowUp") { items[(index - 1 + items.length) % items.length]?.focus(); event.preventDefault(); }
    if (event.key === "Escape") setOpen(false);
  };
  const others = stages.filter((s) => s.stage.id !== deal.stageId);
  return html`<div class="move">
    <button type="button" class="secondary" aria-haspopup="menu" aria-expanded=${open} onClick=${() => setOpen(!open)}>Move</button>
    ${open && html`<ul role="menu" ref=${menu} onKeyDown=${keys} aria-label=${`Move ${deal.name} to`}>
      ${others.map((s) => html`<li role="none"><button type="button" role="menuitem" tabindex="-1"
        onClick=${() => { setOpen(false); onMove(deal, s.stage.id); }}>${s.stage.name}</button></li>`)}
    </ul>`}
  </div>`;
}

export function Board({ me }) {
  const [pipelines, setPipelines] = useState([]);
  const [pipelineId, setPipelineId] = useState("");
  const [insights, setInsights] = useState(null);
  const [deals, setDeals] = useState([]);
  const [problem, setProblem] = useState(null);
  const writable = me.role !== "viewer";

  const load = async (id) => {
    try {
      const list = (await api("GET", "/pipelines")).data;
      setPipelines(list);
      const chosen = id || list[0]?.id || "";
      setPipelineId(chosen);
      if (!chosen) return;
      setInsights(await api("GET", `/insights/pipeline?pipelineId=${chosen}`));
      const all = [];
      let cursor = null;
      do {
        const page = await api("GET", `/deals?limit=100&filter[pipelineId]=${chosen}${cursor ? `&cursor=${cursor}` : ""}`);
        all.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor && all.length < 1000);
      setDeals(all);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { load(""); }, []);

  const move = async (deal, stageId) => {
    const before = deals;
    setDeals(deals.map((d) => (d.id === deal.id ? { ...d, stageId } : d)));  // at once; put back if refused
    try {
      await api("POST", `/deals/${deal.id}/move`, { stageId }, { "If-Match": `"${deal.version}"` });
      setProblem(null);
      await load(pipelineId);
    } catch (error) {
      setDeals(before);
      setProblem(error);
    }
  };
  const stages = insights?.stages ?? [];
  return html`
    <main>
      <h1 tabindex="-1">Deals</h1>
      <div class="toolbar">
        <div class="field inline"><label for="pipeline">Pipeline</label>
          <select id="pipeline" value=${pipelineId} onChange=${(e) => load(e.target.value)}>
            ${pipelines.map((p) => html`<option value=${p.id}>${p.name}</option>`)}</select></div>
        <a href="/admin/deals/list">List of deals</a>
        ${writable && html`<a class="button" href="/admin/deals/new">New deal</a>`}
      </div>
      <${Alert} problem=${problem} />
      <div class="board">
        ${stages.map((column) => {
          const cards = deals.filter((d) => d.stageId === column.stage.id);
          return html`<section class="column" aria-label=${column.stage.name}
              onDragOver=${(e) => writable && e.preventDefault()}
              onDrop=${(e) => { e.preventDefault(); const deal = deals.find((d) => d.id === e.dataTransfer.getData("text/plain")); if (deal && deal.stageId !== column.stage.id) move(deal, column.stage.id); }}>
            <h2>${column.stage.name}</h2>
            <p class="detail">${cards.length} · ${formatAmounts(cards.length === column.count ? column.amounts : [])}</p>
            <ul>${cards.map((deal) => html`<li class="card" draggable=${writable}
                onDragStart=${(e) => e.dataTransfer.setData("text/plain", deal.id)}>
              <a href=${`/admin/deals/${deal.id}`}>${deal.name}</a>
              <span>${deal.amount != null ? formatAmounts([{ currency: deal.currency, amount: deal.amount }]) : ""}</span>
              ${writable && html`<${MoveMenu} deal=${deal} stages=${stages} onMove=${move} />`}
            </li>`)}</ul>
          </section>`;
        })}
      </div>
    </main>`;
}
