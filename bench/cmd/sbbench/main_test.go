package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// fakeAPI imitates the few Switchboard endpoints the scenarios use, and
// counts the calls it gets by "METHOD path".
type fakeAPI struct {
	mu    sync.Mutex
	calls map[string]int
	convs int
	hooks *fakeHooks // webhook endpoints (shared by the servers of a test); nil: none
}

// fakeHooks are the webhook endpoints of a fake API. Each PUT of a
// conversation's metadata is delivered at once to each of them, with the
// webhook-id "msg_SEQ" (SEQ its bench_seq), except that the event of
// bench_seq drop is never delivered and that of bench_seq dup twice.
type fakeHooks struct {
	mu        sync.Mutex
	urls      []string
	drop, dup int64
}

// deliver sends the event of seq to each endpoint (as the fake's settings
// say).
func (h *fakeHooks) deliver(seq int64) error {
	h.mu.Lock()
	urls := h.urls
	h.mu.Unlock()
	times := 1
	switch seq {
	case h.drop:
		times = 0
	case h.dup:
		times = 2
	}
	body := fmt.Sprintf(`{"type":"conversation.updated","data":{"conversation":{"metadata":{"bench_seq":%d}}}}`, seq)
	for _, url := range urls {
		for range times {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("webhook-id", fmt.Sprintf("msg_%d", seq))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
	}
	return nil
}

const testKey = "sbk_test"

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		http.Error(w, `{"code":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.calls[r.Method+" "+r.URL.Path]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/api/v1/channels":
		f.create(w, r, "ch_1", `"type":"api"`)
	case r.Method == "POST" && r.URL.Path == "/api/v1/conversations":
		f.mu.Lock()
		f.convs++
		id := fmt.Sprintf("conv_%d", f.convs)
		f.mu.Unlock()
		f.create(w, r, id, `"channel_id":"ch_1"`)
	case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages"):
		f.create(w, r, "msg_1", `"sender":"agent"`)
	case r.Method == "POST" && r.URL.Path == "/api/v1/webhooks" && f.hooks != nil:
		var ep struct {
			URL string `json:"url"`
		}
		if json.NewDecoder(r.Body).Decode(&ep) != nil || ep.URL == "" {
			http.Error(w, `{"code":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		f.hooks.mu.Lock()
		f.hooks.urls = append(f.hooks.urls, ep.URL)
		n := len(f.hooks.urls)
		f.hooks.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":"whe_%d"}`, n)
	case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/api/v1/conversations/") && f.hooks != nil:
		var put struct {
			Metadata struct {
				Seq int64 `json:"bench_seq"`
			} `json:"metadata"`
		}
		if json.NewDecoder(r.Body).Decode(&put) != nil || put.Metadata.Seq == 0 {
			http.Error(w, `{"code":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if err := f.hooks.deliver(put.Metadata.Seq); err != nil {
			http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"id":%q}`, strings.TrimPrefix(r.URL.Path, "/api/v1/conversations/"))
	case r.Method == "GET" && r.URL.Query().Get("limit") == "50":
		io.WriteString(w, `{"data":[],"next_cursor":null}`)
	default:
		http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
	}
}

// create answers a creation whose body contains want with the resource id
// (202 for messages, as the contract says, 201 for the rest).
func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request, id, want string) {
	body, _ := io.ReadAll(r.Body)
	if !bytes.Contains(body, []byte(want)) || !json.Valid(body) {
		http.Error(w, `{"code":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if strings.HasPrefix(id, "msg_") {
		w.WriteHeader(http.StatusAccepted)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	fmt.Fprintf(w, `{"id":%q}`, id)
}

// runScenario runs sbbench's scenario against a fake API and returns the
// decoded result and the calls the fake counted.
func runScenario(t *testing.T, args ...string) (loadgen.Result, map[string]int) {
	t.Helper()
	fake := &fakeAPI{calls: map[string]int{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o, err := parseFlags(append([]string{"-url", srv.URL, "-key", testKey, "-json", "-c", "4"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(context.Background(), o, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("decoding %q: %v", out.String(), err)
	}
	return res, fake.calls
}

// TestAPIWrite checks the setup and load of api-write.
func TestAPIWrite(t *testing.T) {
	res, calls := runScenario(t, "-scenario", "api-write", "-n", "40", "-convs", "4")
	if res.Requests != 40 || res.OK != 40 || res.Errors != 0 {
		t.Errorf("requests=%d ok=%d errors=%d %q", res.Requests, res.OK, res.Errors, res.ErrorSamples)
	}
	if calls["POST /api/v1/channels"] != 1 || calls["POST /api/v1/conversations"] != 4 {
		t.Errorf("setup calls %v", calls)
	}
	for i := 1; i <= 4; i++ {
		if n := calls[fmt.Sprintf("POST /api/v1/conversations/conv_%d/messages", i)]; n != 10 {
			t.Errorf("conversation %d got %d messages, want 10", i, n)
		}
	}
}

// TestAPIRead checks the setup and load of api-read.
func TestAPIRead(t *testing.T) {
	res, calls := runScenario(t, "-scenario", "api-read", "-n", "20", "-messages", "7")
	if res.Requests != 20 || res.OK != 20 {
		t.Errorf("requests=%d ok=%d %q", res.Requests, res.OK, res.ErrorSamples)
	}
	if calls["POST /api/v1/conversations/conv_1/messages"] != 7 {
		t.Errorf("setup calls %v", calls)
	}
	if calls["GET /api/v1/conversations/conv_1/messages"] != 10 || calls["GET /api/v1/conversations"] != 10 {
		t.Errorf("load calls %v", calls)
	}
}

// TestWrongKeyFailsSetup checks that a refused key stops an API scenario
// before any load.
func TestWrongKeyFailsSetup(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{calls: map[string]int{}})
	defer srv.Close()
	o, err := parseFlags([]string{"-scenario", "api-write", "-url", srv.URL, "-key", "nope", "-n", "5"})
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), o, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("run = %v, want a setup error with 401", err)
	}
}

// TestStatusMismatchCountsAsError checks that answers with the wrong
// status are errors: the fake answers 404 to the ceiling's GET /.
func TestStatusMismatchCountsAsError(t *testing.T) {
	res, _ := runScenario(t, "-scenario", "ceiling", "-n", "8")
	if res.Errors != 8 || res.Status.S4xx != 8 || res.OK != 0 {
		t.Errorf("errors=%d 4xx=%d ok=%d, want 8 8 0", res.Errors, res.Status.S4xx, res.OK)
	}
}

// TestInProcessCeiling runs the ceiling scenario on its own server.
func TestInProcessCeiling(t *testing.T) {
	o, err := parseFlags([]string{"-scenario", "ceiling", "-n", "50", "-c", "2"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "ceiling") || !strings.Contains(out.String(), "ok=50 ") {
		t.Errorf("output %q", out.String())
	}
}

// TestFlagChecks checks that bad settings are refused before any work.
func TestFlagChecks(t *testing.T) {
	bad := [][]string{
		{"-scenario", "nope"},
		{},
		{"-scenario", "ceiling", "-url", "http://192.0.2.1:8080"},
		{"-scenario", "ceiling", "-url", "http://example.com"},
		{"-scenario", "ceiling", "extra"},
	}
	for _, args := range bad {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) = nil error", args)
		}
	}
	o, err := parseFlags([]string{"-scenario", "api-read", "-n", "5", "-url", "http://localhost:1/"})
	if err != nil || o.duration != 0 || o.url != "http://localhost:1" || !o.urlSet {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
}

// TestOutAppendsJSON checks that -out appends one JSON line per run.
func TestOutAppendsJSON(t *testing.T) {
	path := t.TempDir() + "/results.jsonl"
	for range 2 {
		o, err := parseFlags([]string{"-scenario", "ceiling", "-n", "5", "-out", path})
		if err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), o, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var res loadgen.Result
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &res) != nil || res.OK != 5 {
		t.Errorf("results file %q", raw)
	}
}

// fakeServers starts n fake APIs sharing hooks (nil: none) and returns
// them and their URLs.
func fakeServers(t *testing.T, n int, hooks *fakeHooks) ([]*fakeAPI, []string) {
	t.Helper()
	var fakes []*fakeAPI
	var urls []string
	for range n {
		f := &fakeAPI{calls: map[string]int{}, hooks: hooks}
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		fakes = append(fakes, f)
		urls = append(urls, srv.URL)
	}
	return fakes, urls
}

// TestSeveralURLs checks that the load of api-write is spread over every
// server of -url (repeated and comma-separated), each conversation on each
// server, while the setup goes to the first.
func TestSeveralURLs(t *testing.T) {
	fakes, urls := fakeServers(t, 3, nil)
	o, err := parseFlags([]string{"-scenario", "api-write", "-url", urls[0], "-url", urls[1] + "," + urls[2],
		"-key", testKey, "-json", "-c", "4", "-n", "48", "-convs", "4"})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(context.Background(), o, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.OK != 48 {
		t.Fatalf("result %s (%v)", out.String(), err)
	}
	if fakes[0].calls["POST /api/v1/conversations"] != 4 || fakes[1].calls["POST /api/v1/conversations"] != 0 {
		t.Errorf("setup calls %v, %v", fakes[0].calls, fakes[1].calls)
	}
	for s, f := range fakes {
		for i := 1; i <= 4; i++ {
			if n := f.calls[fmt.Sprintf("POST /api/v1/conversations/conv_%d/messages", i)]; n != 4 {
				t.Errorf("server %d: conversation %d got %d messages, want 4", s, i, n)
			}
		}
	}
}

// TestDeliveryChecks runs delivery over two servers whose events reach
// the sinks once, except one never and one twice: the sinks count what
// is missing and what arrived twice.
func TestDeliveryChecks(t *testing.T) {
	fakes, urls := fakeServers(t, 2, &fakeHooks{drop: 7, dup: 11})
	o, err := parseFlags([]string{"-scenario", "delivery", "-url", strings.Join(urls, ","), "-key", testKey, "-json",
		"-c", "2", "-n", "20", "-endpoints", "3", "-convs", "2", "-drain", "200ms", "-linger", "0s"})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(context.Background(), o, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var d deliveryResult
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &d) != nil {
		t.Fatalf("output %q", out.String())
	}
	if d.Published != 20 || d.Expected != 60 || d.Delivered != 57 || d.Missing != 3 || d.Duplicates != 3 {
		t.Errorf("result %+v, want 57 of 60 delivered, 3 missing, 3 duplicates", d)
	}
	for s, f := range fakes {
		n := 0
		for call, c := range f.calls {
			if strings.HasPrefix(call, "PUT ") {
				n += c
			}
		}
		if n != 10 {
			t.Errorf("server %d got %d PUTs, want 10", s, n)
		}
	}
}
