// Shared pieces of screens: tables with headers, pagers, date fields,
// program choosers and the SVG charts (drawn here, no library).
"use strict";

/**
 * A table: `columns` [{ label: key, num, cell(row) → html }], `rows`.
 * `onRow(row)` makes rows open with a click or Enter.
 */
A.table = (columns, rows, onRow, caption) => {
  const head = columns.map((c) => `<th scope="col"${c.num ? ' class="num"' : ""}>${A.esc(A.t(c.label))}</th>`).join("");
  const body = rows.map((row, i) => `<tr data-i="${i}"${onRow ? ' class="clickable" tabindex="0"' : ""}>` +
    columns.map((c, j) => {
      const value = c.cell(row);
      return j === 0 && c.rowHeader ? `<th scope="row">${value}</th>` : `<td${c.num ? ' class="num"' : ""}>${value}</td>`;
    }).join("") + "</tr>").join("");
  const wrap = document.createElement("div");
  wrap.innerHTML = `<table>${caption ? `<caption class="muted">${A.esc(caption)}</caption>` : ""}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>` +
    (rows.length ? "" : `<p class="muted">${A.esc(A.t("empty"))}</p>`);
  if (onRow) {
    const open = (tr) => tr && onRow(rows[Number(tr.dataset.i)]);
    wrap.addEventListener("click", (e) => { if (!e.target.closest("a,button")) open(e.target.closest("tr[data-i]")); });
    wrap.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target.matches("tr[data-i]")) open(e.target); });
  }
  return wrap;
};

/**
 * A paged list in `el`: `load(offset, limit)` → { items, total }; shows
 * `limit` rows a page and where they sit among `total`. `start: "last"`
 * opens on the newest page (lists are oldest first).
 */
A.paged = (el, { load, columns, limit = 50, onRow, start, label }) => {
  let offset = 0, total = 0, first = true;
  const show = async (at) => {
    el.setAttribute("aria-busy", "true");
    try {
      let page = await load(Math.max(0, at), limit);
      if (first && start === "last" && page.total > limit) {
        first = false;
        return show(Math.floor((page.total - 1) / limit) * limit);
      }
      first = false;
      offset = Math.max(0, at); total = page.total;
      el.innerHTML = "";
      el.append(A.pager(offset, page.items.length, total, limit, show, label), A.table(columns, page.items, onRow));
    } catch (error) { A.fail(el, error); }
    el.removeAttribute("aria-busy");
  };
  show(0);
  const last = async () => {
    const page = await load(0, 1);
    await show(Math.max(0, Math.floor((page.total - 1) / limit) * limit));
  };
  return { reload: () => show(offset), go: show, last: () => last().catch((error) => A.fail(el, error)) };
};

/** "Rows 51–100 of 25.000" and the buttons to move. */
A.pager = (offset, shown, total, limit, go, label) => {
  const div = document.createElement("div");
  div.className = "pager";
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const where = total === 0 ? A.t("pager.none")
    : A.t("pager.rows", A.count(offset + 1), A.count(offset + shown), A.count(total));
  div.innerHTML = `<span class="where" role="status">${A.esc(label ? A.t(label) + ": " : "")}${where}</span>
    <button type="button" class="secondary" data-to="0" ${offset === 0 ? "disabled" : ""}>${A.esc(A.t("pager.first"))}</button>
    <button type="button" class="secondary" data-to="${offset - limit}" ${offset === 0 ? "disabled" : ""}>${A.esc(A.t("pager.prev"))}</button>
    <button type="button" class="secondary" data-to="${offset + limit}" ${offset + limit >= total ? "disabled" : ""}>${A.esc(A.t("pager.next"))}</button>
    <button type="button" class="secondary" data-to="${last}" ${offset >= last ? "disabled" : ""}>${A.esc(A.t("pager.last"))}</button>`;
  div.addEventListener("click", (e) => { const b = e.target.closest("button[data-to]"); if (b) go(Number(b.dataset.to)); });
  return div;
};

let fieldCount = 0;
/** A labelled field: `<div><label for>…</label>control</div>`; `control` gets the id. */
A.field = (labelKey, control) => {
  const id = "f" + (++fieldCount);
  return `<div><label for="${id}">${A.esc(A.t(labelKey))}</label>${control.replace("<input", `<input id="${id}"`).replace("<select", `<select id="${id}"`)}</div>`;
};
/** A date field written `dd/mm/yyyy`, whatever the browser's locale. */
/** A form of one "as of" date (`iso` first) and the show button. */
A.asOfForm = (id, iso) => `<form id="${id}" class="row card">
      ${A.field("as_of", A.dateInput("as_of", iso))}
      <div><button type="submit">${A.esc(A.t("show"))}</button></div>
    </form>`;

A.dateInput = (name, iso) =>
  `<input name="${name}" inputmode="numeric" placeholder="dd/mm/yyyy" pattern="\\d{1,2}/\\d{1,2}/\\d{4}" size="11" value="${A.esc(iso ? A.date(iso) : "")}">`;
/** The programs, loaded once. */
A.programs = async () => (A._programs = A._programs || (await A.api("/api/v1/programs")));
A.programSelect = async (name = "program", withAll = false) => {
  const programs = await A.programs();
  return `<select name="${name}">${withAll ? `<option value="">${A.esc(A.t("all"))}</option>` : ""}${programs.map((p) =>
    `<option value="${A.esc(p.code)}">${A.esc(p.code)} — ${A.esc(p.name)}</option>`).join("")}</select>`;
};
/** Names of the districts: from a summary by district (labels), loaded once. */
A.districtName = (code, label) => (label && label !== code ? `${code} — ${label}` : code);

A.statusLabel = (status) => A.tOr("status." + status, status);
A.kindLabel = (kind) => A.tOr("kind." + kind, kind);

/** Reads a form into an object. */
A.form = (form) => Object.fromEntries(new FormData(form).entries());

/**
 * Horizontal bars, two per row (approved, paid): rows [{ label, approved, paid }].
 * Drawn as SVG with a title per bar (the exact figure) and a text table beside for screen readers.
 */
A.barChart = (rows, title) => {
  const barH = 11, gap = 8, labelW = 190, width = 560, chartW = width - labelW - 90;
  const clip = (text) => (text.length > 26 ? text.slice(0, 25) + "…" : text);
  const max = Math.max(1, ...rows.map((r) => Math.max(Number(r.approved), Number(r.paid))));
  const height = rows.length * (2 * barH + gap) + 10;
  const bars = rows.map((r, i) => {
    const y = 5 + i * (2 * barH + gap);
    const wa = (chartW * Number(r.approved)) / max, wp = (chartW * Number(r.paid)) / max;
    return `<text x="${labelW - 6}" y="${y + barH + 3}" text-anchor="end">${A.esc(clip(r.label))}<title>${A.esc(r.title || r.label)}</title></text>
      <rect x="${labelW}" y="${y}" width="${wa.toFixed(1)}" height="${barH}" fill="#3d7cc9"><title>${A.esc(A.t("approved"))}: ${A.money(r.approved)} đ</title></rect>
      <rect x="${labelW}" y="${y + barH}" width="${wp.toFixed(1)}" height="${barH}" fill="#2e9e5b"><title>${A.esc(A.t("paid"))}: ${A.money(r.paid)} đ</title></rect>
      <text x="${(labelW + wa + 4).toFixed(1)}" y="${y + barH - 2}">${A.esc(A.short(r.approved))}</text>`;
  }).join("");
  return `<figure><figcaption><b>${A.esc(title)}</b> <span class="legend"><span><span class="swatch approved"></span>${A.esc(A.t("approved"))}</span><span><span class="swatch paid"></span>${A.esc(A.t("paid"))}</span></span></figcaption>
    <svg role="img" aria-label="${A.esc(title)}" viewBox="0 0 ${width} ${height}" width="100%">${bars}</svg></figure>`;
};

/** Cumulative figures over time: points [{ date, value }], marks [{ date, label }]. */
A.lineChart = (points, marks, title) => {
  const width = 560, height = 220, left = 70, right = 20, top = 15, bottom = 40;
  if (points.length < 2) return "";
  const t = (iso) => Date.parse(iso);
  const t0 = t(points[0].date), t1 = t(points[points.length - 1].date);
  const max = Math.max(1, ...points.map((p) => Number(p.value)));
  const x = (iso) => left + ((width - left - right) * (t(iso) - t0)) / Math.max(1, t1 - t0);
  const y = (v) => top + (height - top - bottom) * (1 - Number(v) / max);
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(p.date).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const dots = points.map((p) => `<circle cx="${x(p.date).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3" fill="#3d7cc9"><title>${A.date(p.date)}: ${A.money(p.value)} đ</title></circle>`).join("");
  const ticks = points.map((p) => `<text x="${x(p.date).toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle">${A.date(p.date).slice(0, 5)}</text>`).join("");
  const lines = marks.filter((m) => t(m.date) >= t0 && t(m.date) <= t1).map((m) =>
    `<line x1="${x(m.date).toFixed(1)}" x2="${x(m.date).toFixed(1)}" y1="${top}" y2="${height - bottom}" stroke="#a11" stroke-dasharray="4 3"/>
     <text x="${(x(m.date) - 4).toFixed(1)}" y="${top + 10}" text-anchor="end" fill="#a11">${A.esc(m.label)}</text>`).join("");
  const axis = `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#999"/>
    <text x="${left - 6}" y="${top + 4}" text-anchor="end">${A.esc(A.short(max))}</text><text x="${left - 6}" y="${height - bottom}" text-anchor="end">0</text>`;
  return `<figure><figcaption><b>${A.esc(title)}</b></figcaption><svg role="img" aria-label="${A.esc(title)}" viewBox="0 0 ${width} ${height}" width="100%">${axis}${lines}<path d="${path}" fill="none" stroke="#3d7cc9" stroke-width="2"/>${dots}${ticks}</svg></figure>`;
};

/** A large amount in tỷ (10⁹) or triệu (10⁶) đồng, for chart labels only (the tables show the exact đồng). */
A.short = (n) => {
  const v = Number(n);
  const fmt = (x) => x.toLocaleString(A.lang === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 2 });
  if (Math.abs(v) >= 1e9) return `${fmt(v / 1e9)} ${A.t("billion")}`;
  if (Math.abs(v) >= 1e6) return `${fmt(v / 1e6)} ${A.t("million")}`;
  return A.money(n);
};
