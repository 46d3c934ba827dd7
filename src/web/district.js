// The district officer's day: upload a roll → its import report → commit;
// the annotated file and blank templates; the history of imports; the
// district's reconciliation and report. (Reconciliation is shared with the
// provincial office and auditors.)
"use strict";

A.screen("upload", ["district"], "nav.upload", async (el) => {
  const programs = await A.programs();
  const u = A.user;
  el.innerHTML = `<h1>${A.esc(A.t("nav.upload"))}</h1>
    <form id="upload-form" class="row card">
      ${A.field("upload.kind", `<select name="kind"><option value="approvals">${A.esc(A.t("kind.approvals"))}</option><option value="payments">${A.esc(A.t("kind.payments"))}</option></select>`)}
      ${A.field("program", await A.programSelect())}
      ${A.field("district", `<input name="district" value="${A.esc(u.district)}" readonly size="5">`)}
      ${A.field("upload.expect_rows", `<input name="expect_rows" inputmode="numeric" size="8">`)}
      ${A.field("upload.expect_total", `<input name="expect_total" inputmode="numeric" size="14">`)}
      ${A.field("upload.file", `<input name="file" type="file" required accept=".csv,text/csv,.xlsx,.ods,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.oasis.opendocument.spreadsheet">`)}
      ${A.field("upload.sheet", `<input name="sheet" size="12">`)}
      <div><button type="submit">${A.esc(A.t("upload.check"))}</button></div>
      <div><progress id="upload-progress" max="100" value="0" hidden aria-label="${A.esc(A.t("upload.progress"))}"></progress></div>
    </form>
    <p class="muted">${A.esc(A.t("upload.templates"))}
      ${programs.map((p) => {
        const template = (kind) => `/api/v1/programs/${encodeURIComponent(p.code)}/template?${A.query({ kind, district: u.district })}`;
        return `<a href="${template("approvals")}" download>${A.esc(p.code)}: ${A.esc(A.t("kind.approvals"))}</a> ·
          <a href="${template("payments")}" download>${A.esc(A.t("kind.payments"))}</a>`;
      }).join(" · ")}</p>
    <div id="import-report"></div>`;
  A.$("upload-form").addEventListener("submit", (e) => { e.preventDefault(); A.upload(e.target); });
  const shown = location.hash.split("/")[1];
  if (shown) A.showImport(Number(shown));
});

/** Sends the form with XHR (for its upload progress), then shows the report. */
A.upload = (form) => {
  const out = A.$("import-report");
  const progress = A.$("upload-progress");
  const request = new XMLHttpRequest();
  progress.hidden = false; progress.value = 0;
  out.innerHTML = `<p class="muted" role="status">${A.esc(A.t("upload.sending"))}</p>`;
  request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
  request.onload = () => {
    progress.hidden = true;
    let body;
    try { body = JSON.parse(request.responseText); } catch (_) { body = { message: request.responseText }; }
    if (request.status >= 200 && request.status < 300) A.renderImport(out, body);
    else if (body.details && body.details.rejected) A.renderImport(out, body.details);
    else A.fail(out, new Error(body.message || request.statusText));
  };
  request.onerror = () => { progress.hidden = true; A.fail(out, new Error(A.t("error.network"))); };
  request.open("POST", "/api/v1/imports");
  request.setRequestHeader("X-CSRF-Token", A.csrf || "");
  const data = new FormData(form);
  for (const k of ["expect_rows", "expect_total", "sheet"]) if (!data.get(k)) data.delete(k);
  request.send(data);
};

A.showImport = async (id) => {
  const out = A.$("import-report");
  try { A.renderImport(out, await A.api(`/api/v1/imports/${id}`)); } catch (error) { A.fail(out, error); }
};

const ALREADY = /đã được nhập cho chương trình|already imported/;

/** The whole import report, in the order an officer acts on it. */
A.renderImport = (out, r) => {
  const id = r.import_id;
  const files = id ? `<p><a href="/api/v1/imports/${id}/annotated" download>${A.esc(A.t("report.annotated"))}</a> ·
    <a href="/api/v1/imports/${id}/file" download>${A.esc(A.t("report.original"))}</a></p>` : "";
  const already = (r.blocking || []).find((b) => ALREADY.test(b));
  if (already) {
    // The one thing to know: nothing else in the report matters.
    out.innerHTML = `<div class="notice bad" role="alert"><h2>${A.esc(A.t("report.already"))}</h2><p>${A.esc(already)}</p></div>${files}`;
    return;
  }
  const statusClass = r.status === "refused" ? "bad" : "good";
  const problems = [], duplicates = [];
  for (const row of r.rejected || []) {
    if (row.code === "duplicate") duplicates.push(row);
    else for (const p of row.problems) problems.push(Object.assign({ name: row.full_name || row.national_id }, p));
  }
  out.innerHTML = `
    <h2>${A.esc(A.t("report.title", id ?? "—"))} — ${A.esc(r.file_name)}</h2>
    <div class="notice ${statusClass}" role="status"><b>${A.esc(A.statusLabel(r.status))}</b></div>
    <div class="figures">
      <div class="figure">${A.esc(A.t("report.read"))}<b>${A.count(r.rows_read)}</b></div>
      <div class="figure">${A.esc(A.t("report.accepted"))}<b class="ok">${A.count(r.rows_accepted)}</b></div>
      <div class="figure">${A.esc(A.t("report.rejected"))}<b class="${r.rows_rejected ? "error" : ""}">${A.count(r.rows_rejected)}</b></div>
      <div class="figure">${A.esc(A.t("report.accepted_total"))}<b>${A.money(r.accepted_total_dong)} đ</b></div>
      <div class="figure">${A.esc(A.t("report.warnings"))}<b class="${r.warnings.length ? "warn" : ""}">${A.count(r.warnings.length)}</b></div>
    </div>
    <p class="muted">${A.esc(A.kindLabel(r.kind))} · ${A.esc(r.program)} · ${A.esc(A.t("district.n", r.district))} · ${A.count(r.size_bytes)} bytes · sha256 <span class="hash">${A.esc(r.sha256)}</span></p>
    ${(r.blocking || []).length ? `<h3>${A.esc(A.t("report.blocking"))}</h3><ul class="error">${r.blocking.map((b) => `<li>${A.esc(b)}</li>`).join("")}</ul>` : ""}
    <div id="report-actions"></div>
    ${files}
    <h3 id="report-errors-title">${A.esc(A.t("report.errors", A.count(problems.length)))}</h3><div id="report-errors"></div>
    <h3>${A.esc(A.t("report.warnings_title", A.count(r.warnings.length)))}</h3><div id="report-warnings"></div>
    <h3>${A.esc(A.t("report.controls"))}</h3><div id="report-controls"></div>
    <h3>${A.esc(A.t("report.duplicates", A.count(duplicates.length)))}</h3><div id="report-duplicates"></div>
    <h3>${A.esc(A.t(r.status === "committed" ? "report.posted" : "report.will_post"))}</h3><div id="report-entries"></div>`;
  if (!(r.controls || []).length) A.$("report-controls").innerHTML = `<p class="muted">${A.esc(A.t("report.no_controls"))}</p>`;
  else A.$("report-controls").append(A.table([
    { label: "report.control_source", cell: (c) => A.esc(c.source) },
    { label: "report.declared", num: true, cell: (c) => `${c.declared_rows ?? "—"} / ${c.declared_total_dong == null ? "—" : A.money(c.declared_total_dong)}` },
    { label: "report.computed", num: true, cell: (c) => `${A.count(c.computed_rows)} / ${A.money(c.computed_total_dong)}` },
    { label: "report.result", cell: (c) => c.matches ? `<span class="ok">${A.esc(A.t("report.match"))}</span>` : `<span class="error">${A.esc(A.t("report.mismatch"))}</span>` },
  ], r.controls || []));
  const posted = r.checkpoints || [];
  // Entry k of the plan was posted as checkpoint k.
  const entries = (r.entries || []).map((e, k) => Object.assign({ posted: posted[k] }, e));
  A.$("report-entries").append(A.table([
    { label: "entry.reference", cell: (e) => A.esc(e.reference) },
    { label: "date", cell: (e) => A.date(e.effective_date) },
    { label: "rows", num: true, cell: (e) => A.count(e.rows) },
    { label: "amount", num: true, cell: (e) => A.money(e.total_dong) },
    ...(posted.length ? [{ label: "entry.seq", num: true, cell: (e) => (e.posted ? `<b class="entry-seq">${e.posted.seq}</b>` : "") }] : []),
  ], entries));
  A.groupedIssues(A.$("report-errors"), problems, true);
  A.$("report-duplicates").append(A.table([
    { label: "line", num: true, cell: (d) => String(d.row || d.line) },
    { label: "national_id", cell: (d) => A.esc(d.national_id) },
    { label: "name", cell: (d) => A.esc(d.full_name) },
    { label: "reason", cell: (d) => d.problems.map((p) => A.esc(A.lang === "en" ? p.reason_en : p.reason_vi)).join("<br>") },
  ], duplicates));
  A.groupedIssues(A.$("report-warnings"), r.warnings || [], false);
  if (r.status === "validated" && id && A.user.role === "district") {
    const actions = A.$("report-actions");
    actions.innerHTML = `<button type="button" id="commit-button">${A.esc(A.t("report.commit"))}</button>`;
    A.$("commit-button").addEventListener("click", async (e) => {
      e.target.disabled = true;
      try { A.renderImport(out, await A.api(`/api/v1/imports/${id}/commit`, { method: "POST" })); }
      catch (error) {
        if (error.body && error.body.details && error.body.details.rejected) A.renderImport(out, error.body.details);
        else { e.target.disabled = false; A.fail(actions, error); }
      }
    });
  }
  if (posted.length) {
    A.$("report-actions").innerHTML = `<p class="notice good" role="status">${A.esc(A.t("report.committed_as"))} ${posted.map((c) => `<b>${c.seq}</b> <span class="hash">${A.esc(c.hash.slice(0, 16))}…</span>`).join(", ")}</p>`;
  }
};

/** Problems grouped by reason (code) with counts, then each row's line, column, value, reason. */
A.groupedIssues = (el, issues, errors) => {
  const groups = new Map();
  for (const p of issues) { if (!groups.has(p.code)) groups.set(p.code, []); groups.get(p.code).push(p); }
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  if (!sorted.length) { el.innerHTML = `<p class="muted">${A.esc(A.t("empty"))}</p>`; return; }
  const summary = A.table([
    { label: "reason", rowHeader: true, cell: ([code, list]) => A.esc(A.tOr("problem." + code, A.lang === "en" ? list[0].reason_en : list[0].reason_vi)) },
    { label: "code", cell: ([code]) => `<span class="muted">${A.esc(code)}</span>` },
    { label: "rows", num: true, cell: ([, list]) => A.count(list.length) },
  ], sorted);
  summary.classList.add(errors ? "error-groups" : "warning-groups");
  el.append(summary);
  const SHOWN = 200;
  sorted.forEach(([code, list], i) => {
    const details = document.createElement("details");
    details.className = "issue-group";
    if (i === 0) details.open = true;
    details.innerHTML = `<summary>${A.esc(A.tOr("problem." + code, code))} — ${A.esc(A.t("rows.n", A.count(list.length)))}</summary>`;
    details.append(A.table([
      { label: "line", num: true, cell: (p) => String(p.row || p.line) },
      ...(errors ? [{ label: "name", cell: (p) => A.esc(p.name) }] : []),
      { label: "column", cell: (p) => A.esc(p.column) },
      { label: "value", cell: (p) => `<span class="value">${A.esc(p.value)}</span>` },
      { label: "reason", cell: (p) => A.esc(A.lang === "en" ? p.reason_en : p.reason_vi) },
    ], list.slice(0, SHOWN)));
    if (list.length > SHOWN) details.insertAdjacentHTML("beforeend", `<p class="muted">${A.esc(A.t("issues.more", SHOWN, A.count(list.length)))}</p>`);
    el.append(details);
  });
};

A.screen("imports", ["district"], "nav.imports", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.imports"))}</h1><div id="imports-list"></div>`;
  A.importsList(A.$("imports-list"), { district: A.user.district }, (row) => { location.hash = `upload/${row.id}`; });
});

/** Uploads, newest page first, with status and their files. */
A.importsList = (el, filter, onRow) => A.paged(el, {
  start: "last",
  load: (offset, limit) => A.api("/api/v1/imports?" + A.query(Object.assign({ offset, limit }, filter))),
  onRow,
  columns: [
    { label: "import.id", num: true, cell: (i) => String(i.id) },
    { label: "import.uploaded", cell: (i) => A.time(i.uploaded_at_us) },
    { label: "upload.kind", cell: (i) => A.esc(A.kindLabel(i.kind)) },
    { label: "program", cell: (i) => A.esc(i.program) },
    { label: "district", cell: (i) => A.esc(i.district) },
    { label: "import.file", cell: (i) => A.esc(i.file_name) },
    { label: "status", cell: (i) => i.committed_by ? `<span class="ok">${A.esc(A.t("import.committed"))}</span> ${A.time(i.committed_at_us)}` : `<span class="muted">${A.esc(A.t("import.uncommitted"))}</span>` },
    { label: "import.files", cell: (i) => `<a href="/api/v1/imports/${i.id}/file" download>${A.esc(A.t("report.original"))}</a> · <a href="/api/v1/imports/${i.id}/annotated" download>${A.esc(A.t("report.annotated_short"))}</a>` },
  ],
});

A.screen("reconcile", ["district", "auditor"], "nav.reconcile", async (el) => {
  const own = A.user.district;
  el.innerHTML = `<h1>${A.esc(A.t("nav.reconcile"))}</h1>
    <form id="rec-form" class="row card" role="search">
      ${A.field("program", await A.programSelect())}
      ${own ? "" : A.field("district", `<input name="district" size="5" inputmode="numeric">`)}
      ${A.field("rec.search", `<input name="q" type="search" size="24">`)}
      ${A.field("status", `<select name="status"><option value="">${A.esc(A.t("all"))}</option>${["unpaid", "paid", "partially_paid", "overpaid", "paid_without_approval", "duplicate_payment"].map((s) => `<option value="${s}">${A.esc(A.statusLabel(s))}</option>`).join("")}</select>`)}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form>
    <div id="rec-out"></div>`;
  const form = A.$("rec-form");
  const go = () => A.reconciliation(A.$("rec-out"), Object.assign({ district: own }, A.form(form)));
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  go();
});

/**
 * A reconciliation page by page, searched (`q`: name or ID prefix) and
 * filtered (`status`), with its totals and downloads of the same lines.
 */
A.reconciliation = (el, params, onPerson) => {
  const filter = A.query({ program: params.program, district: params.district, q: params.q, status: params.status });
  el.innerHTML = `<div id="rec-totals"></div><p>${A.esc(A.t("download"))}: <a id="rec-csv" href="/api/v1/reconciliation?${filter}&format=csv" download>CSV</a> ·
    <a id="rec-xlsx" href="/api/v1/reconciliation?${filter}&format=xlsx" download>Excel (.xlsx)</a></p><div id="rec-lines"></div>`;
  A.paged(A.$("rec-lines"), {
    limit: 50,
    onRow: onPerson,
    load: async (offset, limit) => {
      const r = await A.api(`/api/v1/reconciliation?${filter}&offset=${offset}&limit=${limit}`);
      const by = Object.entries(r.total.by_status).map(([s, n]) => `${A.esc(A.statusLabel(s))}: ${A.count(n)}`).join(" · ");
      A.$("rec-totals").innerHTML = `<div class="figures">
        <div class="figure">${A.esc(A.t("beneficiaries"))}<b>${A.count(r.total.beneficiaries)}</b></div>
        <div class="figure">${A.esc(A.t("approved"))}<b>${A.money(r.total.approved_dong)} đ</b></div>
        <div class="figure">${A.esc(A.t("paid"))}<b>${A.money(r.total.paid_dong)} đ</b></div>
        <div class="figure">${A.esc(A.t("outstanding"))}<b>${A.money(r.total.outstanding_dong)} đ</b></div></div>
        <p class="muted">${by}${r.checkpoint ? ` · ${A.esc(A.t("checkpoint"))} ${r.checkpoint.seq}` : ""}</p>`;
      return { items: r.lines, total: r.lines_total };
    },
    columns: [
      { label: "national_id", cell: (l) => A.esc(l.national_id) },
      { label: "name", rowHeader: false, cell: (l) => A.esc(l.full_name) },
      { label: "district", cell: (l) => A.esc(l.district) },
      { label: "category", cell: (l) => A.esc(l.category) },
      { label: "approved", num: true, cell: (l) => A.money(l.approved_dong) },
      { label: "paid", num: true, cell: (l) => A.money(l.paid_dong) },
      { label: "outstanding", num: true, cell: (l) => A.money(l.outstanding_dong) },
      { label: "status", cell: (l) => A.esc(A.statusLabel(l.status)) + (l.refused.length ? `<br><span class="error">${l.refused.map((f) => A.esc(A.t("rec.refused", f.file_name, f.line, A.money(f.amount_dong)))).join("<br>")}</span>` : "") },
    ],
  });
};

A.screen("report", ["district"], "nav.district_report", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.district_report"))}</h1>
    <form id="drep-form" class="row card">
      ${A.field("as_of", A.dateInput("as_of", A.today()))}
      ${A.field("by", `<select name="by"><option value="program">${A.esc(A.t("by.program"))}</option><option value="category">${A.esc(A.t("by.category"))}</option></select>`)}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form><div id="drep-out"></div>`;
  const form = A.$("drep-form");
  const go = () => A.summaryTable(A.$("drep-out"), form, A.user.district);
  form.addEventListener("submit", (e) => { e.preventDefault(); go(); });
  go();
});

/** A summary as of the form's date: its checkpoint, table and CSV. */
A.summaryTable = async (out, form, district) => {
  const values = A.form(form);
  const asOf = A.parseDate(values.as_of);
  if (!asOf) { A.fail(out, new Error(A.t("error.date"))); return; }
  const q = A.query({ as_of: asOf, by: values.by, district });
  try {
    const s = await A.api("/api/v1/reports/summary?" + q);
    out.innerHTML = `<p class="muted">${A.esc(A.t("as_of"))} ${A.date(s.as_of)} · ${A.esc(A.t("checkpoint"))} ${s.checkpoint ? `${s.checkpoint.seq} <span class="hash">${A.esc(s.checkpoint.hash)}</span>` : "—"}
      · <a href="/api/v1/reports/summary?${q}&format=csv" download>CSV</a></p>`;
    out.append(A.table(A.figureColumns(), [...s.rows, Object.assign({ key: A.t("total"), label: "" }, s.total)]));
  } catch (error) { A.fail(out, error); }
};

A.figureColumns = () => [
  { label: "key", rowHeader: true, cell: (r) => A.esc(r.key) },
  { label: "title", cell: (r) => A.esc(r.label) },
  { label: "beneficiaries", num: true, cell: (r) => A.count(r.beneficiaries) },
  { label: "approved", num: true, cell: (r) => A.money(r.approved_dong) },
  { label: "paid", num: true, cell: (r) => A.money(r.paid_dong) },
  { label: "outstanding", num: true, cell: (r) => A.money(r.outstanding_dong) },
];
