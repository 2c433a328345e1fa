// Package telegramtest is a fake Telegram Bot API server for tests and
// benchmarks: it answers sendMessage and setWebhook in the Bot API's wire
// format (the {"ok": …} envelope, error_code, parameters.retry_after),
// records every call, and can be told to fail. It also builds the updates
// Telegram would POST to a webhook.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one request the fake received.
type Call struct {
	Method string // Bot API method: sendMessage, setWebhook, …
	Token  string // the bot token of the URL
	Body   map[string]any
	At     time.Time
}

// ChatID is the chat_id of a sendMessage, as a string.
func (c Call) ChatID() string { return fmt.Sprint(c.Body["chat_id"]) }

// Text is the text of a sendMessage.
func (c Call) Text() string { s, _ := c.Body["text"].(string); return s }

// Reply is how the fake answers a call: Status and Body; a zero Reply is
// the method's success answer.
type Reply struct {
	Status int
	Body   string
	Header http.Header
}

// Error429 is Telegram's flood-control answer asking to wait secs seconds.
func Error429(secs int) Reply {
	return Reply{Status: http.StatusTooManyRequests,
		Body: fmt.Sprintf(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, secs, secs)}
}

// Error500 is a server error.
var Error500 = Reply{Status: http.StatusInternalServerError, Body: `{"ok":false,"error_code":500,"description":"Internal Server Error"}`}

// Error403Blocked is the answer for a user who blocked the bot.
var Error403Blocked = Reply{Status: http.StatusForbidden, Body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`}

// Server is the fake Bot API.
type Server struct {
	URL string
	srv *httptest.Server

	mu     sync.Mutex
	calls  []Call
	nextID int64
	reply  func(c Call, n int) Reply // n: calls of this method so far, this one included
	onCall func(c Call)
	notify chan struct{}
}

// NewServer starts a fake on a loopback port.
func NewServer() *Server {
	s := &Server{nextID: 1000, notify: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetReply decides the answers from now on; nil restores success.
func (s *Server) SetReply(f func(c Call, n int) Reply) {
	s.mu.Lock()
	s.reply = f
	s.mu.Unlock()
}

// OnCall is called for every call, before it is answered (it may block to
// hold the answer back).
func (s *Server) OnCall(f func(c Call)) {
	s.mu.Lock()
	s.onCall = f
	s.mu.Unlock()
}

// Calls returns the calls of a method received so far ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Wait waits until n calls of a method have been received, or timeout
// passes, and returns the calls of that method.
func (s *Server) Wait(method string, n int, timeout time.Duration) []Call {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		calls := s.Calls(method)
		if len(calls) >= n || time.Now().After(deadline) {
			return calls
		}
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// /bot<token>/<method>
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || r.Method != http.MethodPost {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	c := Call{Method: method, Token: token, At: time.Now()}
	raw, _ := io.ReadAll(r.Body)
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&c.Body); err != nil {
		writeJSON(w, Reply{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON"}`})
		return
	}
	s.mu.Lock()
	n := 1
	for _, prev := range s.calls {
		if prev.Method == method {
			n++
		}
	}
	reply, onCall := s.reply, s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall(c)
	}
	var rep Reply
	if reply != nil {
		rep = reply(c, n)
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	close(s.notify)
	s.notify = make(chan struct{})
	if rep.Status == 0 {
		rep = s.success(c)
	}
	s.mu.Unlock()
	writeJSON(w, rep)
}

// success is the method's answer when all goes well (under s.mu).
func (s *Server) success(c Call) Reply {
	switch c.Method {
	case "sendMessage":
		s.nextID++
		text, _ := json.Marshal(c.Text())
		return Reply{Status: 200, Body: `{"ok":true,"result":{"message_id":` + strconv.FormatInt(s.nextID, 10) +
			`,"from":{"id":7351126602,"is_bot":true,"first_name":"Test","username":"test_bot"},"chat":{"id":` +
			c.ChatID() + `,"type":"private"},"date":` + strconv.FormatInt(c.At.Unix(), 10) + `,"text":` + string(text) + `}}`}
	case "setWebhook":
		return Reply{Status: 200, Body: `{"ok":true,"result":true,"description":"Webhook was set"}`}
	}
	return Reply{Status: 200, Body: `{"ok":true,"result":true}`}
}

func writeJSON(w http.ResponseWriter, rep Reply) {
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}

// Update returns the JSON of a Telegram update carrying a text message sent
// by user in their private chat with the bot.
func Update(updateID, userID int64, firstName, text string) []byte {
	name, _ := json.Marshal(firstName)
	t, _ := json.Marshal(text)
	return []byte(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":%s},`+
		`"chat":{"id":%d,"first_name":%s,"type":"private"},"date":%d,"text":%s}}`,
		updateID, updateID%1_000_000+1, userID, name, userID, name, time.Now().Unix(), t))
}
