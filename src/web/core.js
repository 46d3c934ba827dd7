// What every screen shares: error capture (read by the browser tests),
// the API client with the session's CSRF token, formats and the router.
"use strict";

// Every JavaScript error, unhandled rejection or console.error is kept
// here: the browser tests fail on any (they read window.ansinhErrors).
window.ansinhErrors = [];
window.addEventListener("error", (e) => window.ansinhErrors.push("error: " + (e.message || e)));
window.addEventListener("unhandledrejection", (e) =>
  window.ansinhErrors.push("unhandled rejection: " + ((e.reason && e.reason.message) || e.reason)));
(() => {
  const original = console.error.bind(console);
  console.error = (...args) => { window.ansinhErrors.push("console.error: " + args.map(String).join(" ")); original(...args); };
})();

const A = (window.A = {
  user: null,
  csrf: null,
  screens: {}, // name -> { roles, title key, render(el) }
  lang: localStorage.getItem("ansinh.lang") === "en" ? "en" : "vi",
});

A.$ = (id) => document.getElementById(id);
A.esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** The text of `key` in the chosen language; `{0}`, `{1}` … take `args`. */
A.t = (key, ...args) => {
  const dict = (A.dict && A.dict[A.lang]) || {};
  const vi = (A.dict && A.dict.vi) || {};
  const text = dict[key] ?? vi[key] ?? key;
  return text.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
};
/** `key`'s text, or `fallback` when the dictionary has no such key. */
A.tOr = (key, fallback) => {
  const dict = (A.dict && A.dict[A.lang]) || {};
  return dict[key] ?? fallback;
};

/** Whole đồng grouped by thousands: `1.500.000` (`1,500,000` in English). Exact: digits, no floats. */
A.money = (n) => {
  if (n === null || n === undefined || n === "") return "";
  const text = String(n);
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  const sep = A.lang === "en" ? "," : ".";
  return (negative ? "−" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
};
A.count = A.money;
/** `2021-11-25` → `25/11/2021`. */
A.date = (iso) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ""));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : String(iso ?? "");
};
/** Microseconds since the epoch → `dd/mm/yyyy hh:mm` (local time). */
A.time = (us) => {
  if (!us) return "";
  const d = new Date(Number(us) / 1000);
  const two = (x) => String(x).padStart(2, "0");
  return `${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}`;
};
/** `dd/mm/yyyy` (or `d/m/yyyy`, or ISO) → `yyyy-mm-dd`; null when it is no date. */
A.parseDate = (text) => {
  const t = String(text || "").trim();
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  return m ? t : null;
};
A.today = () => new Date().toISOString().slice(0, 10);

/** An API answer: JSON or text; a refusal throws an Error with the server's message. */
A.api = async (path, options = {}) => {
  const headers = Object.assign({}, options.headers || {});
  if (options.method && options.method !== "GET" && A.csrf) headers["X-CSRF-Token"] = A.csrf;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = Object.assign({}, options, { body: JSON.stringify(options.json) });
  }
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
  const type = response.headers.get("content-type") || "";
  const body = type.startsWith("application/json") ? await response.json() : await response.text();
  if (response.status === 401 && A.user && !path.endsWith("/session")) A.sessionEnded();
  if (!response.ok) {
    const error = new Error((body && body.message) || response.statusText);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
};

/** A query string from an object, leaving out empty values. */
A.query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  return q.toString();
};

/** Shows an error in `el` (and never throws: a screen keeps working). */
A.fail = (el, error) => {
  el.innerHTML = `<p class="notice bad" role="alert">${A.esc(error.message || error)}</p>`;
};

/** Registers a screen: `roles` who see it, `title` its dictionary key. */
A.screen = (name, roles, title, render) => { A.screens[name] = { roles, title, render }; };

/** The order of a role's screens where it differs from the files' order: its day's first task first. */
A.ORDER = { auditor: ["journal", "verify", "audit", "files", "exports", "reconcile", "drill"] };
A.screensOf = (role) => {
  const names = Object.entries(A.screens).filter(([, s]) => s.roles.includes(role)).map(([n]) => n);
  const order = A.ORDER[role] || [];
  const rank = (n) => (order.includes(n) ? order.indexOf(n) : order.length);
  return names.sort((a, b) => rank(a) - rank(b));
};

/** Draws the current screen (from the address's #hash, the role's first otherwise). */
A.render = async () => {
  document.documentElement.lang = A.lang;
  A.applyStatic();
  const screenEl = A.$("screen");
  if (!A.user) { A.$("nav").hidden = true; screenEl.innerHTML = ""; return; }
  const names = A.screensOf(A.user.role);
  const wanted = location.hash.slice(1).split("/")[0];
  const name = names.includes(wanted) ? wanted : names[0];
  A.$("nav").innerHTML = names.map((n) =>
    `<a href="#${n}" ${n === name ? 'aria-current="page"' : ""}>${A.esc(A.t(A.screens[n].title))}</a>`).join("");
  A.$("nav").hidden = false;
  document.title = `${A.t(A.screens[name].title)} — ansinh`;
  screenEl.innerHTML = "";
  try { await A.screens[name].render(screenEl); }
  catch (error) { A.fail(screenEl, error); }
};

/** The page's fixed texts (`data-t`) in the chosen language. */
A.applyStatic = () => {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = A.t(el.dataset.t); });
  A.$("lang").textContent = A.lang === "vi" ? "English" : "Tiếng Việt";
  A.$("lang").setAttribute("aria-label", A.lang === "vi" ? "Switch to English" : "Chuyển sang tiếng Việt");
  if (A.user) {
    const u = A.user;
    A.$("whoami").textContent = `${u.username} — ${A.t("role." + u.role)}${u.district ? " " + u.district : ""}`;
  } else A.$("whoami").textContent = "";
};

A.signedIn = (user, csrf) => {
  A.user = user; A.csrf = csrf;
  A.$("login").hidden = true; A.$("logout").hidden = false;
  A.render();
};

A.sessionEnded = () => {
  A.user = null; A.csrf = null;
  A.$("login").hidden = false; A.$("logout").hidden = true;
  A.render();
};
