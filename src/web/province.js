// The provincial office: the dashboard (charts, the directive's footnote),
// drill-down province → district → scope → person, programs and budgets,
// and reversals with the entry in view.
"use strict";

/** Dates of the directives whose figures the province cites (marked on the chart). */
A.DIRECTIVES = [{ date: "2021-11-25", label: "25/11/2021" }];

A.screen("dashboard", ["provincial"], "nav.dashboard", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.dashboard"))}</h1>
    ${A.asOfForm("dash-form", A.DIRECTIVES[0].date)}
    <section class="card"><h2>${A.esc(A.t("footnote.title"))}</h2><div id="footnote"></div></section>
    <div id="dash-figures"></div>
    <div class="charts" id="dash-charts"></div>
    <div id="dash-time"></div>`;
  const form = A.$("dash-form");
  const go = () => A.dashboard(A.parseDate(A.form(form).as_of));
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  await go();
});

A.dashboard = async (asOf) => {
  if (!asOf) { A.fail(A.$("footnote"), new Error(A.t("error.date"))); return; }
  const summary = (by) => A.api("/api/v1/reports/summary?" + A.query({ as_of: asOf, by }));
  const [byDistrict, byProgram, byCategory, footnote] = await Promise.all([
    summary("district"), summary("program"), summary("category"),
    A.api("/api/v1/reports/summary?" + A.query({ as_of: asOf, format: "footnote" })),
  ]);
  const cp = byDistrict.checkpoint;
  A.$("footnote").innerHTML = `<blockquote class="footnote" id="footnote-text" lang="vi"></blockquote>
    <p><button type="button" id="copy-footnote" class="secondary">${A.esc(A.t("footnote.copy"))}</button> <span id="copy-status" role="status"></span></p>
    <p class="muted">${A.esc(A.t("checkpoint"))}: <span class="hash" id="footnote-checkpoint">${cp ? `${cp.seq}:${A.esc(cp.hash)}` : "—"}</span></p>`;
  A.$("footnote-text").textContent = footnote.trim();
  A.$("copy-footnote").addEventListener("click", () => A.copy(A.$("footnote-text"), A.$("copy-status")));
  const t = byDistrict.total;
  A.$("dash-figures").innerHTML = `<div class="figures">
    <div class="figure">${A.esc(A.t("beneficiaries"))}<b>${A.count(t.beneficiaries)}</b></div>
    <div class="figure">${A.esc(A.t("approved"))}<b>${A.money(t.approved_dong)} đ</b></div>
    <div class="figure">${A.esc(A.t("paid"))}<b>${A.money(t.paid_dong)} đ</b></div>
    <div class="figure">${A.esc(A.t("outstanding"))}<b>${A.money(t.outstanding_dong)} đ</b></div></div>`;
  // Districts by code and name; programs and categories by code (their names are long: in each bar's title).
  const bars = (s, named) => s.rows.map((r) => ({ label: named && r.label !== r.key ? `${r.key} ${r.label}` : r.key, title: r.label, approved: r.approved_dong, paid: r.paid_dong }));
  A.$("dash-charts").innerHTML = A.barChart(bars(byDistrict, true), A.t("chart.by_district")) +
    A.barChart(bars(byProgram, false), A.t("chart.by_program")) + A.barChart(bars(byCategory, false), A.t("chart.by_category"));
  A.$("dash-time").innerHTML = `<p class="muted">${A.esc(A.t("chart.loading_time"))}</p>`;
  A.$("dash-time").innerHTML = await A.timeChart(asOf);
};

/**
 * Approvals over time: a summary at a few dates, month ends from the first
 * approval to the last (or `asOf`, if later), with `asOf` and the directives' dates.
 */
A.timeChart = async (asOf) => {
  const oldest = await A.api("/api/v1/journal?kind=approval&limit=1");
  if (!oldest.items.length) return "";
  const newest = await A.api(`/api/v1/journal?kind=approval&limit=1&offset=${oldest.total - 1}`);
  const start = oldest.items[0].effective_date;
  const last = newest.items.length && newest.items[0].effective_date > asOf ? newest.items[0].effective_date : asOf;
  const dates = new Set([start, asOf, last]);
  // Month ends between, and the directives' dates.
  const first = new Date(start + "T00:00:00Z");
  for (let m = first.getUTCMonth(); ; m++) {
    const end = new Date(Date.UTC(first.getUTCFullYear(), m + 1, 0)).toISOString().slice(0, 10);
    if (end >= last) break;
    if (end > start) dates.add(end);
  }
  for (const m of A.DIRECTIVES) if (m.date > start && m.date <= last) dates.add(m.date);
  const sorted = [...dates].sort().slice(-12);
  const points = await Promise.all(sorted.map(async (date) => {
    const s = await A.api("/api/v1/reports/summary?" + A.query({ as_of: date, by: "program" }));
    return { date, value: s.total.approved_dong };
  }));
  return A.lineChart(points, A.DIRECTIVES, A.t("chart.over_time"));
};

/** Copies an element's text; selects it for Ctrl+C where the clipboard is refused. */
A.copy = async (el, status) => {
  try {
    await navigator.clipboard.writeText(el.textContent);
    status.textContent = A.t("copied");
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const selection = window.getSelection();
    selection.removeAllRanges(); selection.addRange(range);
    status.textContent = A.t("copy.selected");
  }
};

A.screen("drill", ["provincial", "auditor"], "nav.drill", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.drill"))}</h1>
    ${A.asOfForm("drill-form", A.DIRECTIVES[0].date)}
    <nav class="crumbs" aria-label="${A.esc(A.t("drill.path"))}" id="crumbs"></nav><div id="drill-out"></div>`;
  const form = A.$("drill-form");
  const state = { asOf: null };
  const crumbs = (parts) => {
    A.$("crumbs").innerHTML = parts.map((p, i) => i < parts.length - 1
      ? `<button type="button" class="link" data-i="${i}">${A.esc(p.label)}</button> ›` : `<b>${A.esc(p.label)}</b>`).join(" ");
    A.$("crumbs").onclick = (e) => { const b = e.target.closest("button[data-i]"); if (b) parts[Number(b.dataset.i)].go(); };
  };
  const out = () => A.$("drill-out");
  const province = async () => {
    const path = [{ label: A.t("drill.province"), go: province }];
    crumbs(path);
    const s = await A.api("/api/v1/reports/summary?" + A.query({ as_of: state.asOf, by: "district" }));
    out().innerHTML = "";
    out().append(A.table(A.figureColumns(), s.rows, (r) => district(path, r.key, r.label)));
  };
  const district = async (up, code, label) => {
    const path = [...up, { label: A.t("district.n", A.districtName(code, label)), go: () => district(up, code, label) }];
    crumbs(path);
    const s = await A.api("/api/v1/reports/summary?" + A.query({ as_of: state.asOf, by: "program", district: code }));
    out().innerHTML = "";
    out().append(A.table(A.figureColumns(), s.rows, (r) => scope(path, r.key, code)));
  };
  const scope = (up, program, code) => {
    const path = [...up, { label: `${A.t("program")} ${program}`, go: () => scope(up, program, code) }];
    crumbs(path);
    out().innerHTML = `<form id="scope-form" class="row" role="search">${A.field("rec.search", `<input name="q" type="search" size="24">`)}<div><button type="submit">${A.esc(A.t("show"))}</button></div></form><div id="scope-out"></div>`;
    const run = (q) => A.reconciliation(A.$("scope-out"), { program, district: code, q }, (line) => person(path, line));
    A.$("scope-form").addEventListener("submit", (e) => { e.preventDefault(); run(A.form(e.target).q); });
    run("");
  };
  const person = (up, line) => {
    crumbs([...up, { label: line.full_name, go: () => {} }]);
    out().innerHTML = `<h2>${A.esc(line.full_name)} <span class="muted">${A.esc(line.national_id)}</span></h2>`;
    out().append(A.table([
      { label: "district", cell: (l) => A.esc(l.district) }, { label: "category", cell: (l) => A.esc(l.category) },
      { label: "approved", num: true, cell: (l) => A.money(l.approved_dong) }, { label: "paid", num: true, cell: (l) => A.money(l.paid_dong) },
      { label: "outstanding", num: true, cell: (l) => A.money(l.outstanding_dong) }, { label: "status", cell: (l) => A.esc(A.statusLabel(l.status)) },
    ], [line]));
    if (line.refused.length) out().append(A.table([
      { label: "import.file", cell: (f) => `<a href="/api/v1/imports/${f.import_id}/file" download>${A.esc(f.file_name)}</a>` },
      { label: "line", num: true, cell: (f) => String(f.line) }, { label: "amount", num: true, cell: (f) => A.money(f.amount_dong) },
      { label: "reason", cell: (f) => A.esc(A.statusLabel(f.code)) },
    ], line.refused));
  };
  const go = async () => {
    state.asOf = A.parseDate(A.form(form).as_of);
    if (!state.asOf) return A.fail(out(), new Error(A.t("error.date")));
    try { await province(); } catch (error) { A.fail(out(), error); }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  await go();
});

A.screen("programs", ["provincial"], "nav.programs", async (el) => {
  const programs = await A.programs();
  el.innerHTML = `<h1>${A.esc(A.t("nav.programs"))}</h1>`;
  for (const p of programs) {
    const section = document.createElement("section");
    section.className = "card";
    section.innerHTML = `<h2>${A.esc(p.code)} — ${A.esc(p.name)}</h2><p class="muted">${A.esc(p.legal_basis)}</p>`;
    section.append(A.table([
      { label: "category", rowHeader: true, cell: (c) => A.esc(c.code) }, { label: "title", cell: (c) => A.esc(c.name) },
      { label: "program.rule", num: true, cell: (c) => c.rule.amount !== undefined ? A.money(c.rule.amount) : `${A.money(c.rule.min)} – ${A.money(c.rule.max)}` },
    ], p.categories));
    const budgets = await A.api(`/api/v1/programs/${encodeURIComponent(p.code)}/budgets`);
    section.append(A.table([
      { label: "district", rowHeader: true, cell: (b) => A.esc(b.district) },
      { label: "budget.allocated", num: true, cell: (b) => A.money(b.allocated_dong) },
      { label: "budget.used", num: true, cell: (b) => A.money(b.approved_dong) },
      { label: "budget.left", num: true, cell: (b) => A.money(b.left_dong) },
      { label: "budget.share", num: true, cell: (b) => b.allocated_dong ? `${((100 * b.approved_dong) / b.allocated_dong).toFixed(1)} %` : "—" },
    ], budgets));
    el.append(section);
  }
});

A.screen("reversals", ["provincial"], "nav.reversals", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.reversals"))}</h1>
    <form id="rev-find" class="row card">
      ${A.field("entry.seq", `<input name="seq" inputmode="numeric" size="8" required>`)}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form>
    <div id="rev-entry"></div>
    <h2>${A.esc(A.t("rev.done"))}</h2><div id="rev-list"></div>`;
  const list = A.paged(A.$("rev-list"), {
    start: "last",
    load: (offset, limit) => A.api("/api/v1/journal?" + A.query({ kind: "reversal", offset, limit })),
    onRow: (e) => A.reversalForm(A.$("rev-entry"), e.corrects_seq || e.seq, () => list.last()),
    columns: A.entryColumns(),
  });
  A.$("rev-find").addEventListener("submit", (e) => {
    e.preventDefault();
    A.reversalForm(A.$("rev-entry"), Number(A.form(e.target).seq), () => list.last());
  });
});

/** An entry in view (header and postings), and the form that reverses it or one person's part. */
A.reversalForm = async (out, seq, posted) => {
  out.innerHTML = `<div id="rev-view"></div>
    <form id="rev-form" class="row card">
      ${A.field("rev.reason", `<input name="reason" required size="40">`)}
      ${A.field("rev.beneficiary", `<input name="beneficiary" size="14" inputmode="numeric">`)}
      <div><button type="submit">${A.esc(A.t("rev.submit", seq))}</button></div>
    </form><div id="rev-result" role="status"></div>`;
  A.entryView(A.$("rev-view"), seq);
  A.$("rev-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = A.form(e.target);
    try {
      const cp = await A.api(`/api/v1/journal/${seq}/reverse`, { method: "POST", json: { reason: v.reason, beneficiary: v.beneficiary || undefined } });
      A.$("rev-result").innerHTML = `<p class="notice good">${A.esc(A.t("rev.posted", cp.seq))} <span class="hash">${A.esc(cp.hash)}</span></p>`;
      posted();
    } catch (error) { A.fail(A.$("rev-result"), error); }
  });
};
