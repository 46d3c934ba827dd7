// The administrator's day: users — add, disable, reset a password. Nothing
// else (an administrator reads no beneficiaries and posts no money).
"use strict";

A.screen("users", ["admin"], "nav.users", async (el) => {
  el.innerHTML = `<h1>${A.esc(A.t("nav.users"))}</h1>
    <section class="card"><h2>${A.esc(A.t("users.add"))}</h2>
    <form id="user-add" class="row">
      ${A.field("login.username", `<input name="username" required size="14" autocomplete="off">`)}
      ${A.field("users.role", `<select name="role">${["district", "provincial", "auditor", "admin", "national"].map((r) => `<option value="${r}">${A.esc(A.t("role." + r))}</option>`).join("")}</select>`)}
      ${A.field("district", `<input name="district" size="5" inputmode="numeric" pattern="\\d{3}">`)}
      ${A.field("users.password", `<input name="password" type="password" required minlength="10" autocomplete="new-password">`)}
      <div><button type="submit">${A.esc(A.t("users.add_button"))}</button></div>
    </form><div id="user-add-result" role="status"></div></section>
    <div id="user-action"></div>
    <div id="users-list"></div>`;
  const list = A.paged(A.$("users-list"), {
    load: (offset, limit) => A.api("/api/v1/users?" + A.query({ offset, limit })),
    columns: [
      { label: "login.username", rowHeader: true, cell: (u) => A.esc(u.username) },
      { label: "users.role", cell: (u) => A.esc(A.t("role." + u.role)) },
      { label: "district", cell: (u) => A.esc(u.district) },
      { label: "status", cell: (u) => u.disabled ? `<span class="error">${A.esc(A.t("users.disabled"))}</span>` : `<span class="ok">${A.esc(A.t("users.active"))}</span>` },
      { label: "users.actions", cell: (u) => `<button type="button" class="secondary" data-reset="${A.esc(u.username)}">${A.esc(A.t("users.reset"))}</button>
        ${u.disabled ? "" : `<button type="button" class="secondary" data-disable="${A.esc(u.username)}">${A.esc(A.t("users.disable"))}</button>`}` },
    ],
  });
  A.$("user-add").addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = A.form(e.target);
    const out = A.$("user-add-result");
    try {
      const user = await A.api("/api/v1/users", { method: "POST", json: { username: v.username, role: v.role, district: v.role === "district" ? v.district : undefined, password: v.password } });
      out.innerHTML = `<p class="notice good">${A.esc(A.t("users.added", user.username))}</p>`;
      e.target.reset();
      list.reload();
    } catch (error) { A.fail(out, error); }
  });
  A.$("users-list").addEventListener("click", (e) => {
    const reset = e.target.closest("button[data-reset]"), disable = e.target.closest("button[data-disable]");
    if (reset) A.userAction(reset.dataset.reset, "reset", list);
    if (disable) A.userAction(disable.dataset.disable, "disable", list);
  });
});

/** The small form of one action on one user, above the list. */
A.userAction = (username, action, list) => {
  const out = A.$("user-action");
  const reset = action === "reset";
  out.innerHTML = `<section class="card"><h2>${A.esc(A.t(reset ? "users.reset_title" : "users.disable_title", username))}</h2>
    <form id="user-action-form" class="row">
      ${reset ? A.field("users.new_password", `<input name="value" type="password" required minlength="10" autocomplete="new-password">`)
        : A.field("users.reason", `<input name="value" required size="40">`)}
      <div><button type="submit">${A.esc(A.t(reset ? "users.reset" : "users.disable"))}</button></div>
      <div><button type="button" class="secondary" id="user-action-cancel">${A.esc(A.t("cancel"))}</button></div>
    </form><div id="user-action-result" role="status"></div></section>`;
  A.$("user-action-cancel").addEventListener("click", () => { out.innerHTML = ""; });
  out.querySelector("input").focus();
  A.$("user-action-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = A.form(e.target).value;
    const path = `/api/v1/users/${encodeURIComponent(username)}/${reset ? "password" : "disable"}`;
    try {
      await A.api(path, reset ? { method: "PUT", json: { new_password: value } } : { method: "POST", json: { reason: value } });
      out.innerHTML = `<p class="notice good" role="status">${A.esc(A.t(reset ? "users.was_reset" : "users.was_disabled", username))}</p>`;
      list.reload();
    } catch (error) { A.fail(A.$("user-action-result"), error); }
  });
};
