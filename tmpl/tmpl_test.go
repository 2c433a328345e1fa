package tmpl_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/tmpl"
)

// values is a Lookup over fixed values that records its calls.
type values struct {
	m     map[string]string
	calls [][]string
}

func (v *values) lookup(_ context.Context, paths []string) (map[string]string, error) {
	v.calls = append(v.calls, slices.Clone(paths))
	out := map[string]string{}
	for _, p := range paths {
		if s, ok := v.m[p]; ok {
			out[p] = s
		}
	}
	return out, nil
}

func wantInvalid(t *testing.T, err error, mention string) {
	t.Helper()
	if sb.ErrorCode(err) != sb.EInvalid {
		t.Fatalf("error %v, want code %s", err, sb.EInvalid)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Fatalf("error %q does not mention %q", err, mention)
	}
}

func TestRender(t *testing.T) {
	ctx := t.Context()
	v := &values{m: map[string]string{
		"contact.name":          "Ada",
		"knowledge.order.1001":  "shipped",
		"params.note":           `say "hi" {{contact.name}}`,
		"event.order.total":     "12.50",
		"knowledge.hours":       "<9-5> & weekends",
		"conversation.id":       "conv_1",
		"params.multi.line":     "a\nb\tc\\",
		"knowledge.unicode.txt": "héllo ✓",
	}}
	cases := []struct{ in, want string }{
		{"Hi {{contact.name}}!", "Hi Ada!"},
		{"Hi {{ contact.name }}, {{contact.name}}", "Hi Ada, Ada"},
		{"{{knowledge.order.1001}}", "shipped"},
		{"{{params.note}}", `say "hi" {{contact.name}}`}, // values are not expanded again
		{"{{event.order.total}} {{knowledge.unicode.txt}}", "12.50 héllo ✓"},
		{"a } b }} c {d}", "a } b }} c {d}"},
		{"", ""},
	}
	for _, c := range cases {
		got, err := tmpl.Render(ctx, c.in, v.lookup, nil)
		if err != nil || got != c.want {
			t.Errorf("Render(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	// One call per template, with each distinct path once, in order.
	v.calls = nil
	if _, err := tmpl.Render(ctx, "{{contact.name}} {{conversation.id}} {{contact.name}}", v.lookup, nil); err != nil {
		t.Fatal(err)
	}
	if len(v.calls) != 1 || !slices.Equal(v.calls[0], []string{"contact.name", "conversation.id"}) {
		t.Fatalf("lookup calls %v", v.calls)
	}
	// Text without placeholders costs no lookup.
	v.calls = nil
	for _, s := range []string{"plain text", "a { b } c", "}}"} {
		if got, err := tmpl.Render(ctx, s, v.lookup, nil); err != nil || got != s {
			t.Fatalf("Render(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := tmpl.Render(ctx, "no lookup needed", nil, nil); err != nil || got != "no lookup needed" {
		t.Fatalf("Render without lookup = %q, %v", got, err)
	}
	if len(v.calls) != 0 {
		t.Fatalf("lookup called for text without placeholders: %v", v.calls)
	}
}

func TestRenderEscape(t *testing.T) {
	v := &values{m: map[string]string{
		"params.note":     `say "hi" {{contact.name}}`,
		"params.multi":    "a\nb\tc\\ </script>",
		"knowledge.hours": "9-5 ✓",
	}}
	body := `{"note": "{{params.note}}", "multi": "{{params.multi}}", "hours": "{{knowledge.hours}}"}`
	got, err := tmpl.Render(t.Context(), body, v.lookup, tmpl.JSONString)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]string
	if err := json.Unmarshal([]byte(got), &decoded); err != nil {
		t.Fatalf("rendered body %s is not JSON: %v", got, err)
	}
	want := map[string]string{"note": v.m["params.note"], "multi": v.m["params.multi"], "hours": v.m["knowledge.hours"]}
	for k, w := range want {
		if decoded[k] != w {
			t.Errorf("%s = %q, want %q", k, decoded[k], w)
		}
	}
	if !strings.Contains(got, "</script>") || !strings.Contains(got, "✓") {
		t.Errorf("JSONString escapes more than JSON needs: %s", got)
	}
}

func TestRenderErrors(t *testing.T) {
	ctx := t.Context()
	v := &values{m: map[string]string{"contact.name": "Ada"}}
	cases := []struct{ in, mention string }{
		{"Hi {{contact.name", "{{ without a closing }}"},
		{"Hi {{contact.name}} and {{", "{{ without a closing }}"},
		{"{{}}", "{{}}"},
		{"{{ }}", "{{}}"},
		{"{{contact.nickname}}", "{{contact.nickname}}"},
		{"{{contact}}", "{{contact}}"},
		{"{{contact.name.first}}", "{{contact.name.first}}"},
		{"{{conversation.status}}", "{{conversation.status}}"},
		{"{{knowledge}}", "{{knowledge}}"},
		{"{{event}}", "{{event}}"},
		{"{{params}}", "{{params}}"},
		{"{{secrets.token}}", "{{secrets.token}}"},
		{"{{knowledge..x}}", "{{knowledge..x}}"},
		{"{{knowledge.a b}}", "{{knowledge.a b}}"},
		{"{{knowledge.x.}}", "{{knowledge.x.}}"},
		{"{{{contact.name}}}", "{{{contact.name}}"},
		{"{{contact.email}}", "{{contact.email}}"}, // no value
	}
	for _, c := range cases {
		got, err := tmpl.Render(ctx, c.in, v.lookup, nil)
		if err == nil {
			t.Errorf("Render(%q) = %q, want an error", c.in, got)
			continue
		}
		wantInvalid(t, err, c.mention)
		if c.mention != "{{contact.email}}" {
			if _, err := tmpl.Placeholders(c.in); sb.ErrorCode(err) != sb.EInvalid {
				t.Errorf("Placeholders(%q) = %v, want invalid", c.in, err)
			}
		}
	}
	// Without a lookup, a placeholder cannot be filled.
	_, err := tmpl.Render(ctx, "{{contact.name}}", nil, nil)
	wantInvalid(t, err, "{{contact.name}}")
	// Errors of the lookup come back as they are.
	boom := errors.New("database down")
	_, err = tmpl.Render(ctx, "{{contact.name}}", func(context.Context, []string) (map[string]string, error) {
		return nil, boom
	}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("lookup error became %v", err)
	}
}

func TestPlaceholders(t *testing.T) {
	got, err := tmpl.Placeholders("{{ knowledge.order.latest.status }} for {{contact.name}}, {{contact.name}}")
	if err != nil || !slices.Equal(got, []string{"knowledge.order.latest.status", "contact.name"}) {
		t.Fatalf("Placeholders = %v, %v", got, err)
	}
	got, err = tmpl.Placeholders("none")
	if err != nil || len(got) != 0 {
		t.Fatalf("Placeholders = %v, %v", got, err)
	}
}

func TestJSONString(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:     `plain`,
		`"q"`:       `\"q\"`,
		"a\nb":      `a\nb`,
		`back\`:     `back\\`,
		"\x01":      `\u0001`,
		"<b>&</b>":  "<b>&</b>",
		"héllo":     "héllo",
		"\u2028":    `\u2028`,
		"tab\there": `tab\there`,
	} {
		if got := tmpl.JSONString(in); got != want {
			t.Errorf("JSONString(%q) = %q, want %q", in, got, want)
		}
	}
}
