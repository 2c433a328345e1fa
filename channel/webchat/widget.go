package webchat

import (
	_ "embed"
	"net/http"
)

// widgetJS is the widget: plain JavaScript, no dependencies.
//
//go:embed widget.js
var widgetJS []byte

// WidgetJS returns the widget script as served.
func WidgetJS() []byte { return widgetJS }

// ServeWidget serves the widget script. Any site may load it; it is cached
// for five minutes.
func (h *Handler) ServeWidget(w http.ResponseWriter, r *http.Request) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=300")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hd.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(widgetJS)
	return err
}
