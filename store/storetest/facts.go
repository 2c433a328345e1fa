package storetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func (f *fixture) upsertFact(t *testing.T, fact *switchboard.Fact) (*switchboard.Fact, bool) {
	t.Helper()
	if fact.WorkspaceID == "" {
		fact.WorkspaceID = f.ws.ID
	}
	if fact.Source == "" {
		fact.Source = switchboard.FactSourceAPI
	}
	stored, created, err := f.s.UpsertFact(f.ctx, fact)
	must(t, err)
	return stored, created
}

func testFacts(t *testing.T, f *fixture) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	in := &switchboard.Fact{Key: "order.latest", Email: " Ada@Example.COM ", Text: "shipped",
		Data: json.RawMessage(`{"status":"shipped","total":"12.50","items":[{"sku":"A"}]}`), ExpiresAt: &exp}
	stored, created := f.upsertFact(t, in)
	if !created || !switchboard.HasPrefix(stored.ID, switchboard.PrefixFact) {
		t.Fatalf("first upsert: created %v, id %q", created, stored.ID)
	}
	if stored.Email != "ada@example.com" || stored.Phone != "" || stored.ContactID != "" {
		t.Fatalf("stored subject %q %q %q", stored.ContactID, stored.Email, stored.Phone)
	}
	got, err := f.s.GetFact(f.ctx, f.ws.ID, stored.ID)
	must(t, err)
	same(t, got, stored)
	same(t, got.ExpiresAt, &exp)

	// The same key and subject (an email written differently) replaces the
	// text, data, source and expiry, and keeps the id and creation time.
	again, created := f.upsertFact(t, &switchboard.Fact{Key: "order.latest", Email: "ADA@example.com",
		Text: "delivered", Source: "int_shop"})
	if created || again.ID != stored.ID || !again.CreatedAt.Equal(stored.CreatedAt) {
		t.Fatalf("second upsert: created %v, id %s (was %s), created_at %v (was %v)",
			created, again.ID, stored.ID, again.CreatedAt, stored.CreatedAt)
	}
	if again.Text != "delivered" || again.Data != nil || again.ExpiresAt != nil || again.Source != "int_shop" ||
		again.UpdatedAt.Before(stored.UpdatedAt) {
		t.Fatalf("second upsert stored %+v", again)
	}

	// Other subjects of the same key are other facts.
	byContact, created := f.upsertFact(t, &switchboard.Fact{Key: "order.latest", ContactID: f.ct.ID, Text: "c"})
	if !created || byContact.ContactID != f.ct.ID {
		t.Fatalf("contact fact: created %v, %+v", created, byContact)
	}
	byPhone, _ := f.upsertFact(t, &switchboard.Fact{Key: "order.latest", Phone: "+44 (20) 7946-0000", Text: "p"})
	if byPhone.Phone != "+442079460000" {
		t.Fatalf("phone stored as %q", byPhone.Phone)
	}
	ws, _ := f.upsertFact(t, &switchboard.Fact{Key: "order.latest", Text: "w"})
	if ws.ID == byPhone.ID || ws.ID == byContact.ID || ws.ID == stored.ID {
		t.Fatal("subjects share a fact")
	}

	// Bad subjects.
	_, _, err = f.s.UpsertFact(f.ctx, &switchboard.Fact{WorkspaceID: f.ws.ID, Key: "k", Email: "a@b.c", Phone: "+1", Source: "api"})
	wantCode(t, err, switchboard.EInvalid)
	_, _, err = f.s.UpsertFact(f.ctx, &switchboard.Fact{WorkspaceID: f.ws.ID, Key: "k", Phone: "none", Source: "api"})
	wantCode(t, err, switchboard.EInvalid)
	_, _, err = f.s.UpsertFact(f.ctx, &switchboard.Fact{WorkspaceID: f.ws.ID, Key: "k", ContactID: "ct_missing", Source: "api"})
	wantCode(t, err, switchboard.EInvalid)
	_, _, err = f.s.UpsertFact(f.ctx, &switchboard.Fact{WorkspaceID: f.ws.ID, Key: "k", Data: json.RawMessage(`{`), Source: "api"})
	if err == nil {
		t.Fatal("invalid JSON data stored")
	}

	// Another workspace sees none of them.
	other := f.workspace(t, "other")
	_, err = f.s.GetFact(f.ctx, other.ID, stored.ID)
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeleteFact(f.ctx, other.ID, stored.ID))
	list, err := f.s.ListFacts(f.ctx, other.ID, switchboard.FactFilter{}, switchboard.Page{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other workspace lists %d facts", len(list))
	}

	must(t, f.s.DeleteFact(f.ctx, f.ws.ID, byPhone.ID))
	_, err = f.s.GetFact(f.ctx, f.ws.ID, byPhone.ID)
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeleteFact(f.ctx, f.ws.ID, byPhone.ID))
}

func testFactFilters(t *testing.T, f *fixture) {
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	var all []string
	add := func(fact *switchboard.Fact) string {
		stored, _ := f.upsertFact(t, fact)
		all = append(all, stored.ID)
		return stored.ID
	}
	orderLatest := add(&switchboard.Fact{Key: "order.latest", Email: "ada@example.com", Source: "int_shop"})
	order1001 := add(&switchboard.Fact{Key: "order.1001", Email: "ada@example.com", Source: "int_shop"})
	orders := add(&switchboard.Fact{Key: "orders", ContactID: f.ct.ID})
	underscore := add(&switchboard.Fact{Key: "order_x", Phone: "+1 555"})
	capital := add(&switchboard.Fact{Key: "Order.x", Text: "keys are case-sensitive"})
	hours := add(&switchboard.Fact{Key: "hours", Text: "9-5"})
	expired := add(&switchboard.Fact{Key: "promo", Text: "old", ExpiresAt: &past})
	live := add(&switchboard.Fact{Key: "promo.new", Text: "new", ExpiresAt: &future})
	faq1 := add(&switchboard.Fact{Key: "faq.1", Text: "one"})
	faq2 := add(&switchboard.Fact{Key: "faq.2", Text: "two"})

	cases := []struct {
		filter switchboard.FactFilter
		want   []string
	}{
		{switchboard.FactFilter{}, all},
		{switchboard.FactFilter{Key: "order.latest"}, []string{orderLatest}},
		{switchboard.FactFilter{KeyPrefix: "order."}, []string{orderLatest, order1001}},
		{switchboard.FactFilter{KeyPrefix: "Order"}, []string{capital}},
		{switchboard.FactFilter{Key: "Order.x"}, []string{capital}},
		{switchboard.FactFilter{KeyPrefix: "order_"}, []string{underscore}}, // "_" is no wildcard
		{switchboard.FactFilter{KeyPrefix: "order"}, []string{orderLatest, order1001, orders, underscore}},
		{switchboard.FactFilter{Email: "ADA@example.com"}, []string{orderLatest, order1001}},
		{switchboard.FactFilter{ContactID: f.ct.ID}, []string{orders}},
		{switchboard.FactFilter{Phone: "+1-555"}, []string{underscore}},
		{switchboard.FactFilter{Source: "int_shop"}, []string{orderLatest, order1001}},
		{switchboard.FactFilter{Source: "int_shop", Key: "order.1001"}, []string{order1001}},
		{switchboard.FactFilter{KeyPrefix: "promo", LiveAt: time.Now()}, []string{live}},
		{switchboard.FactFilter{KeyPrefix: "promo"}, []string{expired, live}},
		{switchboard.FactFilter{WorkspaceOnly: true, LiveAt: time.Now()}, []string{capital, hours, live, faq1, faq2}},
		{switchboard.FactFilter{WorkspaceOnly: true, KeyPrefix: "faq."}, []string{faq1, faq2}},
		{switchboard.FactFilter{LiveAt: time.Now()}, []string{orderLatest, order1001, orders, underscore, capital, hours, live, faq1, faq2}},
	}
	for _, c := range cases {
		got, err := f.s.ListFacts(f.ctx, f.ws.ID, c.filter, switchboard.Page{})
		must(t, err)
		gotIDs := ids(got, func(x *switchboard.Fact) string { return x.ID })
		want := append([]string(nil), c.want...)
		sort.Sort(sort.Reverse(sort.StringSlice(want)))
		if fmt.Sprint(gotIDs) != fmt.Sprint(want) {
			t.Errorf("%+v: got %v, want %v", c.filter, gotIDs, want)
		}
	}
	wantPages(t, "facts", all, func(p switchboard.Page) ([]*switchboard.Fact, error) {
		return f.s.ListFacts(f.ctx, f.ws.ID, switchboard.FactFilter{}, p)
	}, func(x *switchboard.Fact) string { return x.ID })
}

func testLookupFacts(t *testing.T, f *fixture) {
	now := time.Now()
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	subject := switchboard.SubjectOf(f.ct) // ada@example.com, +442079460000
	f.upsertFact(t, &switchboard.Fact{Key: "a", Text: "workspace"})
	f.upsertFact(t, &switchboard.Fact{Key: "a", Phone: "+44 20 7946 0000", Text: "phone"})
	f.upsertFact(t, &switchboard.Fact{Key: "a", Email: "ada@example.com", Text: "email"})
	f.upsertFact(t, &switchboard.Fact{Key: "a", ContactID: f.ct.ID, Text: "contact"})
	f.upsertFact(t, &switchboard.Fact{Key: "b", Text: "workspace"})
	f.upsertFact(t, &switchboard.Fact{Key: "b", Phone: "442079460000", Text: "phone"})
	f.upsertFact(t, &switchboard.Fact{Key: "b", Email: "bob@example.com", Text: "someone else's email"})
	f.upsertFact(t, &switchboard.Fact{Key: "c", Text: "workspace"})
	f.upsertFact(t, &switchboard.Fact{Key: "c", ContactID: f.ct.ID, Text: "expired", ExpiresAt: &past})
	f.upsertFact(t, &switchboard.Fact{Key: "d", Email: "ada@example.com", Text: "expired", ExpiresAt: &past})
	f.upsertFact(t, &switchboard.Fact{Key: "e", Email: "ada@example.com", Text: "live", ExpiresAt: &future})
	other := f.workspace(t, "other")
	f.upsertFact(t, &switchboard.Fact{WorkspaceID: other.ID, Key: "f", Text: "elsewhere"})

	texts := func(m map[string]*switchboard.Fact) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := ""
		for _, k := range keys {
			s += k + "=" + m[k].Text + ";"
		}
		return s
	}
	keys := []string{"a", "b", "c", "d", "e", "f", "a", "missing"}
	got, err := f.s.LookupFacts(f.ctx, f.ws.ID, keys, subject, now)
	must(t, err)
	if want := "a=contact;b=phone;c=workspace;e=live;"; texts(got) != want {
		t.Fatalf("contact lookup: %s, want %s", texts(got), want)
	}
	got, err = f.s.LookupFacts(f.ctx, f.ws.ID, keys, switchboard.FactSubject{Email: "ADA@example.com"}, now)
	must(t, err)
	if want := "a=email;b=workspace;c=workspace;e=live;"; texts(got) != want {
		t.Fatalf("email lookup: %s, want %s", texts(got), want)
	}
	got, err = f.s.LookupFacts(f.ctx, f.ws.ID, keys, switchboard.FactSubject{}, now)
	must(t, err)
	if want := "a=workspace;b=workspace;c=workspace;"; texts(got) != want {
		t.Fatalf("workspace lookup: %s, want %s", texts(got), want)
	}
	// Later, the live fact has expired too.
	got, err = f.s.LookupFacts(f.ctx, f.ws.ID, []string{"e"}, subject, future)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("lookup at expiry: %s", texts(got))
	}
	got, err = f.s.LookupFacts(f.ctx, f.ws.ID, nil, subject, now)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("lookup of no keys: %s", texts(got))
	}
}

func testPurgeExpiredFacts(t *testing.T, f *fixture) {
	now := time.Now()
	var expired []string
	for i := range 5 {
		at := now.Add(-time.Duration(i+1) * time.Minute)
		stored, _ := f.upsertFact(t, &switchboard.Fact{Key: fmt.Sprintf("k%d", i), Text: "x", ExpiresAt: &at})
		expired = append(expired, stored.ID)
	}
	later := now.Add(time.Hour)
	keep, _ := f.upsertFact(t, &switchboard.Fact{Key: "later", Text: "x", ExpiresAt: &later})
	forever, _ := f.upsertFact(t, &switchboard.Fact{Key: "forever", Text: "x"})

	n, err := f.s.PurgeExpiredFacts(f.ctx, now, 3)
	must(t, err)
	if n != 3 {
		t.Fatalf("purged %d, want 3", n)
	}
	// The oldest expiries went first: k4, k3, k2.
	for i, id := range expired {
		_, err := f.s.GetFact(f.ctx, f.ws.ID, id)
		if i >= 2 {
			wantNotFound(t, err)
		} else {
			must(t, err)
		}
	}
	n, err = f.s.PurgeExpiredFacts(f.ctx, now, 100)
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d, want 2", n)
	}
	for _, id := range []string{keep.ID, forever.ID} {
		_, err := f.s.GetFact(f.ctx, f.ws.ID, id)
		must(t, err)
	}

	// An upsert over an expired fact, not yet purged, makes a new fact.
	past := now.Add(-time.Second)
	old, _ := f.upsertFact(t, &switchboard.Fact{Key: "again", Text: "old", ExpiresAt: &past})
	fresh, created := f.upsertFact(t, &switchboard.Fact{Key: "again", Text: "new"})
	if !created || fresh.ID == old.ID || fresh.CreatedAt.Before(old.CreatedAt) {
		t.Fatalf("upsert over an expired fact: created %v, id %s (was %s)", created, fresh.ID, old.ID)
	}
	_, err = f.s.GetFact(f.ctx, f.ws.ID, old.ID)
	wantNotFound(t, err)
}

// testFactAsOf: a fact that describes an older outside state (as_of) than
// the stored one leaves it as it is (a webhook delivered late); a newer
// one, or one without as_of, replaces it.
func testFactAsOf(t *testing.T, f *fixture) {
	t1 := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Minute), t1.Add(2*time.Minute)
	fulfilled, _ := f.upsertFact(t, &switchboard.Fact{Key: "order.1042", Email: "ada@example.com", Text: "fulfilled", AsOf: &t2})
	late, created := f.upsertFact(t, &switchboard.Fact{Key: "order.1042", Email: "ada@example.com", Text: "unfulfilled", AsOf: &t1})
	if created || late.ID != fulfilled.ID || late.Text != "fulfilled" || late.AsOf == nil || !late.AsOf.Equal(t2) {
		t.Fatalf("an older state replaced a newer one: created %v, %+v", created, late)
	}
	got, err := f.s.GetFact(f.ctx, f.ws.ID, fulfilled.ID)
	must(t, err)
	if got.Text != "fulfilled" {
		t.Fatalf("stored %q", got.Text)
	}
	newer, _ := f.upsertFact(t, &switchboard.Fact{Key: "order.1042", Email: "ada@example.com", Text: "delivered", AsOf: &t3})
	if newer.ID != fulfilled.ID || newer.Text != "delivered" || !newer.AsOf.Equal(t3) {
		t.Fatalf("a newer state: %+v", newer)
	}
	byHand, _ := f.upsertFact(t, &switchboard.Fact{Key: "order.1042", Email: "ada@example.com", Text: "corrected"})
	if byHand.Text != "corrected" || byHand.AsOf != nil {
		t.Fatalf("a fact without as_of: %+v", byHand)
	}
}
