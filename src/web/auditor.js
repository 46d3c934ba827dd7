// The auditor's day: the journal (entries filtered and paged, each entry's
// postings paged with their total), verification, the audit trail, the
// original files and the exports.
"use strict";

A.entryColumns = () => [
  { label: "entry.seq", num: true, cell: (e) => String(e.seq) },
  { label: "date", cell: (e) => A.date(e.effective_date) },
  { label: "entry.kind", cell: (e) => A.esc(A.kindLabel(e.kind)) },
  { label: "entry.reference", cell: (e) => A.esc(e.reference) + (e.corrects_seq ? ` <span class="muted">(${A.esc(A.t("entry.corrects", e.corrects_seq))})</span>` : "") },
  { label: "entry.actor", cell: (e) => A.esc(e.actor) },
  { label: "entry.postings", num: true, cell: (e) => A.count(e.postings_count) },
];

A.screen("journal", ["auditor", "provincial"], "nav.journal", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.journal"))}</h1>
    <form id="journal-form" class="row card" role="search">
      ${A.field("entry.kind", `<select name="kind"><option value="">${A.esc(A.t("all"))}</option>${["allocation", "approval", "payment", "donation", "reversal"].map((k) => `<option value="${k}">${A.esc(A.kindLabel(k))}</option>`).join("")}</select>`)}
      ${A.field("from", A.dateInput("from"))}
      ${A.field("to", A.dateInput("to"))}
      ${A.field("program", await A.programSelect("program", true))}
      ${A.field("district", `<input name="district" size="5" inputmode="numeric">`)}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form>
    <div id="journal-list"></div><div id="entry-view"></div>`;
  const form = A.$("journal-form");
  const go = () => {
    const v = A.form(form);
    const filter = { kind: v.kind, program: v.program, district: v.district, from: A.parseDate(v.from), to: A.parseDate(v.to) };
    A.paged(A.$("journal-list"), {
      limit: 25,
      load: (offset, limit) => A.api("/api/v1/journal?" + A.query(Object.assign({ offset, limit }, filter))),
      onRow: (e) => { A.entryView(A.$("entry-view"), e.seq); A.$("entry-view").scrollIntoView(); },
      columns: A.entryColumns(),
      label: "nav.journal",
    });
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  go();
  const seq = Number(location.hash.split("/")[1]);
  if (seq) A.entryView(A.$("entry-view"), seq);
});

/** One entry: its header, then its postings page by page, with how many there are in all. */
A.entryView = (out, seq) => {
  out.innerHTML = `<section class="card"><h2>${A.esc(A.t("entry.title", seq))}</h2><div id="entry-head-${seq}"></div><div id="entry-postings-${seq}"></div></section>`;
  let shownHead = false;
  A.paged(A.$(`entry-postings-${seq}`), {
    limit: 100,
    label: "entry.postings",
    load: async (offset, limit) => {
      const e = await A.api(`/api/v1/journal/${seq}?offset=${offset}&limit=${limit}`);
      if (!shownHead) {
        shownHead = true;
        A.$(`entry-head-${seq}`).innerHTML = `<dl>
          <dt>${A.esc(A.t("entry.kind"))}</dt><dd>${A.esc(A.kindLabel(e.kind))}</dd>
          <dt>${A.esc(A.t("date"))}</dt><dd>${A.date(e.effective_date)} <span class="muted">(${A.esc(A.t("entry.recorded"))} ${A.time(e.recorded_at_us)}, ${A.esc(e.actor)})</span></dd>
          <dt>${A.esc(A.t("entry.reference"))}</dt><dd>${A.esc(e.reference)}${e.memo ? ` — ${A.esc(e.memo)}` : ""}</dd>
          ${e.corrects_seq ? `<dt>${A.esc(A.t("entry.corrects_label"))}</dt><dd>${e.corrects_seq}</dd>` : ""}
          ${e.import_id ? `<dt>${A.esc(A.t("import.id"))}</dt><dd>${e.import_id} · <a href="/api/v1/imports/${e.import_id}/file" download>${A.esc(A.t("report.original"))}</a></dd>` : ""}
          <dt>hash</dt><dd class="hash">${A.esc(e.hash)}</dd><dt>prev</dt><dd class="hash">${A.esc(e.prev_hash)}</dd></dl>
          <p class="notice" id="postings-total">${A.esc(A.t("entry.postings_total", A.count(e.postings_total)))}</p>`;
      }
      return { items: e.postings, total: e.postings_total };
    },
    columns: [
      { label: "entry.account", cell: (p) => `<span class="hash">${A.esc(p.account)}</span>` },
      { label: "amount", num: true, cell: (p) => A.money(p.amount) },
      { label: "national_id", cell: (p) => A.esc(p.beneficiary) },
      { label: "line", num: true, cell: (p) => (p.source_line ? String(p.source_line) : "") },
      { label: "entry.voucher", cell: (p) => A.esc(p.reference) },
    ],
  });
};

/** GET `path`; while a never-verified ledger's first verification runs in
 *  the background (503 "pending"), shows the server's message and asks again. */
async function verifyWhenReady(path, out) {
  for (;;) {
    try {
      return await A.api(path);
    } catch (error) {
      if (error.status !== 503 || !error.body || error.body.error !== "pending") throw error;
      out.innerHTML = `<p class="muted">${A.esc(error.message)}</p>`;
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  }
}

A.screen("verify", ["auditor", "provincial"], "nav.verify", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.verify"))}</h1>
    <form id="verify-form" class="row card">
      ${A.field("verify.checkpoint", `<input name="checkpoint" size="60" placeholder="SEQ:HASH">`)}
      <div><button type="submit">${A.esc(A.t("verify.run"))}</button></div>
    </form><div id="verify-out" role="status"></div>`;
  A.$("verify-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = A.$("verify-out");
    out.innerHTML = `<p class="muted">${A.esc(A.t("verify.running"))}</p>`;
    const started = performance.now();
    try {
      const path = "/api/v1/verify?" + A.query({ checkpoint: A.form(e.target).checkpoint.trim() });
      const r = await verifyWhenReady(path, out);
      const ms = Math.round(performance.now() - started);
      if (r.problem) {
        const at = Object.entries(r.problem.at || {}).map(([k, v]) => `${A.t("verify.at." + k)} ${v}`).join(", ");
        out.innerHTML = `<div class="notice bad" id="verify-result"><b>${A.esc(A.t("verify.failed"))}</b> ${A.esc(at)}: ${A.esc(r.problem.reason)}</div>`;
      } else {
        out.innerHTML = `<div class="notice good" id="verify-result"><b>${A.esc(A.t("verify.ok"))}</b>
          <p>${A.esc(A.t("verify.counts", A.count(r.entries), A.count(r.postings), A.count(r.imports), A.count(r.audit_events), ms))}</p>
          <p>${A.esc(A.t("verify.head"))}: <span class="hash">${r.head ? `${r.head.seq}:${A.esc(r.head.hash)}` : "—"}</span><br>
          ${A.esc(A.t("verify.audit_head"))}: <span class="hash">${A.esc(r.audit_head || "—")}</span></p></div>`;
      }
    } catch (error) { A.fail(out, error); }
  });
});

A.screen("audit", ["auditor"], "nav.audit", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.audit"))}</h1>
    <form id="audit-form" class="row card" role="search">
      ${A.field("audit.actor", `<input name="actor" size="12">`)}
      ${A.field("audit.action", `<input name="action" size="14" placeholder="login, import., user.">`)}
      ${A.field("from", A.dateInput("from"))}
      ${A.field("to", A.dateInput("to"))}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form><div id="audit-list"></div>`;
  const form = A.$("audit-form");
  const go = () => {
    const v = A.form(form);
    const filter = { actor: v.actor, action: v.action, from: A.parseDate(v.from), to: A.parseDate(v.to) };
    A.paged(A.$("audit-list"), {
      start: "last",
      load: (offset, limit) => A.api("/api/v1/audit?" + A.query(Object.assign({ offset, limit }, filter))),
      columns: [
        { label: "audit.id", num: true, cell: (a) => String(a.id) },
        { label: "audit.at", cell: (a) => A.time(a.at_us) },
        { label: "audit.actor", cell: (a) => A.esc(a.actor) },
        { label: "audit.action", cell: (a) => A.esc(a.action) },
        { label: "audit.outcome", cell: (a) => A.esc(a.outcome) },
        { label: "audit.detail", cell: (a) => A.esc(a.detail) },
      ],
    });
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  go();
});

A.screen("files", ["auditor"], "nav.files", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.files"))}</h1><div id="files-list"></div><div id="import-report"></div>`;
  A.importsList(A.$("files-list"), {}, (row) => A.showImport(row.id));
});

A.screen("exports", ["auditor"], "nav.exports", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.exports"))}</h1>
    <form id="export-form" class="row card">${A.field("as_of", A.dateInput("as_of", A.today()))}</form>
    <ul id="export-links"></ul>`;
  const links = () => {
    const asOf = A.parseDate(A.form(A.$("export-form")).as_of) || "";
    A.$("export-links").innerHTML = [["ledger", "export.ledger"], ["beancount", "export.beancount"], ["csv", "export.csv"]].map(([f, k]) =>
      `<li><a href="/api/v1/exports/${f}?${A.query({ as_of: asOf })}" download>${A.esc(A.t(k))}</a></li>`).join("");
  };
  A.$("export-form").addEventListener("input", links);
  A.$("export-form").addEventListener("submit", (e) => e.preventDefault());
  links();
});
