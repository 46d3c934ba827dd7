// The ministry's national readers: every provincial ledger summed as of a
// date, each province at its own checkpoint, and the national checkpoint
// that pins the whole table.
"use strict";

A.screen("national", ["national"], "nav.national", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.national"))}</h1>
    ${A.asOfForm("national-form", A.DIRECTIVES[0].date)}
    <div id="national-out"></div>`;
  const form = A.$("national-form");
  const out = A.$("national-out");
  const go = async () => {
    const asOf = A.parseDate(A.form(form).as_of);
    if (!asOf) { A.fail(out, new Error(A.t("error.date"))); return; }
    try {
      A.nationalReport(out, await A.api("/api/v1/national/report?" + A.query({ as_of: asOf })));
    } catch (error) {
      A.fail(out, error);
    }
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  await go();
});

A.nationalReport = (out, report) => {
  const t = report.total;
  out.innerHTML = `<div class="figures">
    <div class="figure">${A.esc(A.t("national.provinces"))}<b>${A.count(report.provinces.length)}</b></div>
    <div class="figure">${A.esc(A.t("beneficiaries"))}<b>${A.count(t.beneficiaries)}</b></div>
    <div class="figure">${A.esc(A.t("approved"))}<b>${A.money(t.approved_dong)} đ</b></div>
    <div class="figure">${A.esc(A.t("paid"))}<b>${A.money(t.paid_dong)} đ</b></div></div>
    <p class="muted">${A.esc(A.t("national.checkpoint"))}: <span class="hash" id="national-checkpoint">${A.esc(report.checkpoint)}</span></p>`;
  const checkpoint = (p) => p.checkpoint ? `<span class="hash">${p.checkpoint.seq}:${A.esc(p.checkpoint.hash.slice(0, 16))}…</span>` : "—";
  const rows = report.provinces.map((p) => Object.assign({ key: p.ledger, label: p.province, checkpoint: p.checkpoint }, p.total));
  rows.push(Object.assign({ key: A.t("total"), label: "" }, t));
  out.append(A.table([...A.figureColumns(), { label: "checkpoint", cell: (r) => r.key === A.t("total") ? "" : checkpoint(r) }], rows,
    null, A.t("national.caption", A.date(report.as_of))));
};
