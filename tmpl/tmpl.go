// Package tmpl fills the placeholders of response and integration
// templates: "Hello {{contact.name}}, your order is {{knowledge.order.latest.status}}."
//
// A placeholder is a dotted path between "{{" and "}}" (spaces inside the
// braces are allowed). Its first segment names where the value comes from:
//
//	contact.name, contact.email, contact.phone, contact.id
//	knowledge.KEY          the text of the fact KEY
//	knowledge.KEY.FIELD    a field of the fact's data (FIELD may be a
//	                       dotted path into nested objects, and a number
//	                       indexes a list)
//	conversation.id, conversation.transcript
//	event.PATH             a value of the event's payload
//	params.PATH            a value of the action's parameters
//
// Fact keys contain dots themselves: knowledge.order.latest.status is the
// field status of the fact order.latest when that fact exists, and
// knowledge.order.1001 the text of the fact order.1001. The candidate keys
// of every knowledge placeholder of a template are looked up in one query,
// and the longest key that has a fact wins.
//
// Render fills every placeholder or fails: a template is never used with a
// raw "{{" left in it. Values are written as they are, never expanded again.
package tmpl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// Lookup gives the values of a template's placeholders. Render calls it
// once, with the distinct paths of the template in order of appearance
// ("contact.name", "knowledge.order.latest.status"), and it returns a value
// for each, or an error: ErrorCode EInvalid, naming the placeholder, when
// one cannot be filled. Vars.Lookup is one.
type Lookup func(ctx context.Context, paths []string) (map[string]string, error)

// Render returns text with each placeholder replaced by its value, passed
// through escape first when escape is not nil (JSONString in templated
// JSON bodies). Text without placeholders is returned as it is, without a
// call to lookup. A template that is not well formed (an unterminated
// "{{", an empty or malformed path, an unknown source) or a placeholder
// that cannot be filled fails with ErrorCode EInvalid, naming it.
func Render(ctx context.Context, text string, lookup Lookup, escape func(string) string) (string, error) {
	pieces, paths, err := parse(text)
	if err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return text, nil
	}
	if lookup == nil {
		return "", cannotFill(paths[0], "nothing is available to fill it")
	}
	values, err := lookup(ctx, paths)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(text))
	for _, p := range pieces {
		if p.path == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := values[p.path]
		if !ok {
			return "", cannotFill(p.path, "it has no value")
		}
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// Placeholders returns the distinct paths of the placeholders of text in
// order of appearance, or the error Render would return for a template
// that is not well formed. Configurations holding templates check them
// with it when they are saved.
func Placeholders(text string) ([]string, error) {
	_, paths, err := parse(text)
	return paths, err
}

// JSONString escapes s for the inside of a JSON string: a templated JSON
// body writes "name": "{{contact.name}}" and stays valid whatever the name.
func JSONString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := b.Bytes()
	return string(out[1 : len(out)-2]) // without the quotes and the newline
}

// piece is a literal run of a template (path "") or a placeholder.
type piece struct {
	text string
	path string
}

// parse splits text into literal runs and placeholders, checking each
// placeholder's path.
func parse(text string) (pieces []piece, paths []string, err error) {
	rest := text
	seen := map[string]bool{}
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			break
		}
		if i > 0 {
			pieces = append(pieces, piece{text: rest[:i]})
		}
		end := strings.Index(rest[i+2:], "}}")
		if end < 0 {
			return nil, nil, sb.Errorf(sb.EInvalid, "The template has a {{ without a closing }} at character %d.",
				len(text)-len(rest)+i+1)
		}
		path := strings.TrimSpace(rest[i+2 : i+2+end])
		if err := checkPath(path); err != nil {
			return nil, nil, err
		}
		pieces = append(pieces, piece{path: path})
		if !seen[path] {
			seen[path] = true
			paths = append(paths, path)
		}
		rest = rest[i+2+end+2:]
	}
	if len(paths) > 0 && rest != "" {
		pieces = append(pieces, piece{text: rest})
	}
	return pieces, paths, nil
}

// Sources of values, the first segment of a path.
const (
	srcContact      = "contact"
	srcKnowledge    = "knowledge"
	srcConversation = "conversation"
	srcEvent        = "event"
	srcParams       = "params"
)

// checkPath checks that path is well formed and names a known value.
func checkPath(path string) error {
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if !validSegment(s) {
			return sb.Errorf(sb.EInvalid, "The template's placeholder {{%s}} is not a dotted path of letters, digits, \"_\", \"-\" and \":\".", path)
		}
	}
	bad := func(want string) error {
		return sb.Errorf(sb.EInvalid, "The template's placeholder {{%s}} is unknown: %s.", path, want)
	}
	switch segs[0] {
	case srcContact:
		if len(segs) != 2 || !oneOf(segs[1], "name", "email", "phone", "id") {
			return bad("the contact's fields are name, email, phone and id")
		}
	case srcConversation:
		if len(segs) != 2 || !oneOf(segs[1], "id", "transcript") {
			return bad("the conversation's fields are id and transcript")
		}
	case srcKnowledge, srcEvent, srcParams:
		if len(segs) < 2 {
			return bad("it names no " + map[string]string{srcKnowledge: "fact", srcEvent: "field of the event", srcParams: "parameter"}[segs[0]])
		}
	default:
		return bad("placeholders start with contact, knowledge, conversation, event or params")
	}
	return nil
}

// validSegment reports whether s is a non-empty run of ASCII letters,
// digits, "_", "-" and ":", the characters of fact keys.
func validSegment(s string) bool {
	return s != "" && sb.ValidFactKey(s) && !strings.Contains(s, ".")
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// cannotFill is the error of a placeholder without a value.
func cannotFill(path, why string) error {
	return &sb.Error{Code: sb.EInvalid, Message: fmt.Sprintf("The placeholder {{%s}} cannot be filled: %s.", path, why)}
}
