package httpapi

import (
	"html/template"
	"net/http"
)

// home is the page at the server root: what runs, and where the API is.
var home = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1d2433; }
  code { background: #f1f3f7; padding: .1rem .3rem; border-radius: .2rem; }
  a { color: #2457d6; }
</style>
</head>
<body>
<main>
<h1>Switchboard is running</h1>
<p>The REST API is at <code>{{.}}/api/v1</code>. Send an API key as <code>Authorization: Bearer sbk_…</code>;
the first start printed one, and <code>switchboard apikey create</code> makes more.</p>
<ul>
  <li><a href="/api/v1/openapi.json">OpenAPI document</a>: every operation, schema, error and webhook event</li>
  <li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul>
</main>
</body>
</html>
`))

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-API-Version", APIVersion)
	return home.Execute(w, s.cfg.PublicURL)
}
