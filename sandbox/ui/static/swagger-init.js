// Swagger UI for one API's OpenAPI document, or a clear notice when the sandbox does not serve one yet.
// "Try it out" sends the API's auth headers with the placeholder token unless the user set their own.
"use strict";

(async () => {
  const root = document.getElementById("swagger-ui");
  const authHeaders = JSON.parse(root.dataset.headers);
  const session = document.body.dataset.session;
  let response;
  try {
    response = await fetch(root.dataset.specUrl, { headers: authHeaders });
  } catch (error) {
    response = { ok: false, status: String(error) };
  }
  if (!response.ok) {
    document.getElementById("no-spec-status").textContent = response.status;
    document.getElementById("no-spec").hidden = false;
    return;
  }
  window.ui = SwaggerUIBundle({
    spec: await response.json(),
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: (request) => {
      for (const [name, value] of Object.entries(authHeaders)) {
        if (!Object.keys(request.headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
          request.headers[name] = value;
        }
      }
      if (session) request.headers["X-Sandbox-Session"] = session;
      return request;
    },
  });
})();
