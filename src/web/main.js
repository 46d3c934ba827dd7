// Starts the application: the session kept across reloads (the HttpOnly
// cookie stays; whoami answers the user and the CSRF token), login,
// logout, the language switch and the router.
"use strict";

A.$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const v = A.form(e.target);
  const status = A.$("login-status");
  status.textContent = "";
  try {
    const session = await A.api("/api/v1/session", { method: "POST", json: { username: v.username, password: v.password } });
    e.target.reset();
    A.signedIn(session.user, session.csrf_token);
  } catch (error) {
    status.innerHTML = `<span class="error">${A.esc(error.status === 401 ? A.t("login.wrong") : error.message)}</span>`;
  }
});

A.$("logout").addEventListener("click", async () => {
  try { await A.api("/api/v1/session", { method: "DELETE" }); } catch (_) { /* the session is gone either way */ }
  location.hash = "";
  A.sessionEnded();
  A.$("login-username").focus();
});

A.$("lang").addEventListener("click", () => {
  A.lang = A.lang === "vi" ? "en" : "vi";
  localStorage.setItem("ansinh.lang", A.lang);
  A.render();
});

window.addEventListener("hashchange", () => { if (A.user) A.render(); });

(async () => {
  A.applyStatic();
  try {
    const me = await A.api("/api/v1/session");
    const { csrf_token, ...user } = me;
    A.signedIn(user, csrf_token);
  } catch (_) {
    A.sessionEnded();
  }
})();
