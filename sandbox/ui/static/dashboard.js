// The dashboard's buttons: they call the real API routes and the control plane, as a client would.
// A request that may change state reloads the page (the server renders the truth) and the last response
// is carried over the reload in sessionStorage.
"use strict";

const RESULT_KEY = "order-sandbox:last-result";
const session = document.body.dataset.session;

function withSession(headers) {
  return session ? { ...headers, "X-Sandbox-Session": session } : headers;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

function showResult(result) {
  document.getElementById("result-label").textContent = result.label;
  const status = document.getElementById("result-status");
  status.textContent = result.status;
  status.className = "badge s" + String(result.status).charAt(0) + "xx";
  document.getElementById("result-body").textContent = result.body;
  const box = document.getElementById("result");
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

async function send(label, method, url, headers) {
  const init = { method, headers: withSession(headers) };
  if (method !== "GET" && method !== "HEAD") {
    init.headers["Content-Type"] = "application/json";
    init.body = "{}";
  }
  let result;
  try {
    const response = await fetch(url, init);
    result = { label, status: response.status, body: pretty(await response.text()) };
  } catch (error) {
    result = { label, status: "failed", body: String(error) };
  }
  if (method === "GET") {
    showResult(result);
  } else {
    sessionStorage.setItem(RESULT_KEY, JSON.stringify(result));
    location.reload();
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.classList.contains("show-json")) {
    const row = button.closest("tr").nextElementSibling;
    row.hidden = !row.hidden;
    button.setAttribute("aria-expanded", String(!row.hidden));
  } else if (button.classList.contains("action")) {
    send(button.dataset.label, button.dataset.method, button.dataset.url, JSON.parse(button.dataset.headers));
  } else if (button.dataset.reset) {
    const api = button.dataset.reset;
    send("reset " + api, "POST", "/__sandbox/reset?api=" + encodeURIComponent(api), {});
  } else if (button.id === "result-close") {
    document.getElementById("result").hidden = true;
  }
});

const carried = sessionStorage.getItem(RESULT_KEY);
if (carried) {
  sessionStorage.removeItem(RESULT_KEY);
  showResult(JSON.parse(carried));
}
