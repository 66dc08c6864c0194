// The dashboard's buttons and forms: they call the real API routes and the control plane, as a client would,
// always on this origin and with Content-Type: application/json on every write. A request that may change
// state reloads the page (the server renders the truth); the response is carried over the reload in
// sessionStorage and shown on top.
"use strict";

const RESULT_KEY = "order-sandbox:last-result";
const session = document.body.dataset.session;

function withSession(headers) {
  return session ? { ...headers, "X-Sandbox-Session": session } : { ...headers };
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

function showResult(result) {
  document.getElementById("result-label").textContent = result.label;
  const status = document.getElementById("result-status");
  status.textContent = result.status;
  status.className = "badge s" + String(result.status).charAt(0) + "xx";
  document.getElementById("result-body").textContent = result.body || "(empty body)";
  const box = document.getElementById("result");
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

async function call(method, url, headers, body) {
  const init = { method, headers: withSession(headers || {}), credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") {
    init.headers["Content-Type"] = "application/json";
    init.body = body === undefined ? "{}" : body;
  }
  try {
    const response = await fetch(url, init);
    return { status: response.status, body: pretty(await response.text()) };
  } catch (error) {
    return { status: "failed", body: String(error) };
  }
}

// A write: show its answer after the reload (or after going to ``next``, a URL on this origin).
async function write(label, method, url, headers, body, next) {
  const result = { label, ...(await call(method, url, headers, body)) };
  sessionStorage.setItem(RESULT_KEY, JSON.stringify(result));
  if (next && String(result.status).startsWith("2")) {
    location.assign(next);
  } else {
    location.reload();
  }
}

function sessionUrl(name) {
  const url = new URL(location.href);
  url.search = "";
  if (name) url.searchParams.set("session", name);
  return url.pathname + url.search;
}

function controlPlane(label, method, path, body, next) {
  return write(label, method, "/__sandbox" + path, {}, body === undefined ? undefined : JSON.stringify(body), next);
}

function createSession(name) {
  return write("create session " + name, "PUT", "/__sandbox/sessions/" + encodeURIComponent(name),
               {}, undefined, sessionUrl(name));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("show-json")) {
    const row = button.closest("tr").nextElementSibling;
    row.hidden = !row.hidden;
    button.setAttribute("aria-expanded", String(!row.hidden));
  } else if (button.classList.contains("send")) {
    const { label, method, url } = button.dataset;
    const headers = button.dataset.headers ? JSON.parse(button.dataset.headers) : {};
    const body = button.dataset.bodyFrom === "prev" ? button.previousElementSibling.value : undefined;
    if (method === "GET") {
      call(method, url, headers).then((result) => showResult({ label, ...result }));
    } else {
      write(label, method, url, headers, body);
    }
  } else if (button.id === "create-this-session") {
    createSession(button.dataset.name);
  } else if (button.id === "result-close") {
    document.getElementById("result").hidden = true;
  }
});

const forms = {
  "session-pick": (data) => location.assign(sessionUrl(data.get("session"))),
  "session-create": (data) => createSession(data.get("name")),
  "clock-freeze": (data) => controlPlane("freeze the clock", "PUT", "/clock", { now: data.get("now") }),
  "clock-advance": (data) => controlPlane("advance the clock", "PUT", "/clock",
                                          { advance_seconds: Number(data.get("advance_seconds")) }),
  "snapshot-save": (data) => controlPlane("save snapshot " + data.get("name"), "POST",
                                          "/snapshots/" + encodeURIComponent(data.get("name"))),
  "fault-add": (data) => {
    const rule = { api: data.get("api"), method: data.get("method"), path: data.get("path") || "*" };
    for (const name of ["status", "times", "delay_ms"]) {
      if (data.get(name)) rule[name] = Number(data.get(name));
    }
    return controlPlane("add a fault", "POST", "/faults", rule);
  },
};

document.addEventListener("submit", (event) => {
  const handle = forms[event.target.id];
  if (!handle) return;               // the journal filter is a plain GET form
  event.preventDefault();
  handle(new FormData(event.target));
});

// A record's page shows the API's own rendering of it, read through the API's route.
const rendered = document.getElementById("rendered");
if (rendered) {
  call("GET", rendered.dataset.url, JSON.parse(rendered.dataset.headers)).then((result) => {
    const status = document.getElementById("rendered-status");
    status.textContent = result.status;
    status.className = "badge s" + String(result.status).charAt(0) + "xx";
    rendered.textContent = result.body;
  });
}

const carried = sessionStorage.getItem(RESULT_KEY);
if (carried) {
  sessionStorage.removeItem(RESULT_KEY);
  showResult(JSON.parse(carried));
}
