package tmpl

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Facts looks knowledge facts up (the store does).
type Facts interface {
	LookupFacts(ctx context.Context, workspaceID string, keys []string, s sb.FactSubject, at time.Time) (map[string]*sb.Fact, error)
}

// Vars are the values a template can use in one place: a bot's turn, an
// integration action's run. Fields left zero have no values: a placeholder
// that needs one cannot be filled.
type Vars struct {
	WorkspaceID  string      // whose facts (default: the contact's workspace)
	Contact      *sb.Contact // its facts, then its email's, its phone's and the workspace's
	Conversation *sb.Conversation
	// Transcript returns the conversation's transcript; called only for a
	// template that uses {{conversation.transcript}}.
	Transcript func(ctx context.Context) (string, error)
	Event      json.RawMessage // the payload of the event, for {{event.*}}
	Params     json.RawMessage // a JSON object, for {{params.*}}
	Facts      Facts           // nil: no knowledge
	Clock      sb.Clock        // decides which facts have expired (nil: the system clock)
}

// Fill renders a template with these values (the signature of
// sb.BotTurn.Fill).
func (v Vars) Fill(ctx context.Context, template string) (string, error) {
	return Render(ctx, template, v.Lookup, nil)
}

// Lookup returns the values of paths (a Lookup): the facts of all the
// knowledge placeholders come from one query, made only if there is one.
func (v Vars) Lookup(ctx context.Context, paths []string) (map[string]string, error) {
	for _, path := range paths {
		if err := checkPath(path); err != nil {
			return nil, err
		}
	}
	facts, err := v.facts(ctx, paths)
	if err != nil {
		return nil, err
	}
	var event, params *document
	out := make(map[string]string, len(paths))
	for _, path := range paths {
		segs := strings.Split(path, ".")
		var val string
		var err error
		switch segs[0] {
		case srcContact:
			val, err = v.contact(path, segs[1])
		case srcConversation:
			val, err = v.conversation(ctx, path, segs[1])
		case srcKnowledge:
			val, err = knowledge(path, segs[1:], facts)
		case srcEvent:
			if event == nil {
				event = decode(v.Event)
			}
			val, err = event.value(path, segs[1:], "the event")
		case srcParams:
			if params == nil {
				params = decode(v.Params)
			}
			val, err = params.value(path, segs[1:], "the parameters")
		}
		if err != nil {
			return nil, err
		}
		out[path] = val
	}
	return out, nil
}

func (v Vars) contact(path, field string) (string, error) {
	c := v.Contact
	if c == nil {
		return "", cannotFill(path, "there is no contact")
	}
	val := map[string]string{"name": c.Name, "email": c.Email, "phone": c.Phone, "id": c.ID}[field]
	if val == "" {
		return "", cannotFill(path, "the contact has no "+field)
	}
	return val, nil
}

func (v Vars) conversation(ctx context.Context, path, field string) (string, error) {
	if v.Conversation == nil {
		return "", cannotFill(path, "there is no conversation")
	}
	if field == "id" {
		return v.Conversation.ID, nil
	}
	if v.Transcript == nil {
		return "", cannotFill(path, "no transcript is available here")
	}
	return v.Transcript(ctx)
}

// facts looks up the candidate keys of the knowledge placeholders of paths:
// for knowledge.a.b.c, the keys a.b.c, a.b and a.
func (v Vars) facts(ctx context.Context, paths []string) (map[string]*sb.Fact, error) {
	var keys []string
	var first string
	for _, path := range paths {
		segs := strings.Split(path, ".")
		if segs[0] != srcKnowledge {
			continue
		}
		if first == "" {
			first = path
		}
		for n := len(segs) - 1; n >= 1; n-- {
			if key := strings.Join(segs[1:1+n], "."); sb.ValidFactKey(key) {
				keys = append(keys, key)
			}
		}
	}
	if first == "" {
		return nil, nil
	}
	if v.Facts == nil {
		return nil, cannotFill(first, "no knowledge is available here")
	}
	clock := v.Clock
	if clock == nil {
		clock = sb.SystemClock{}
	}
	ws := v.WorkspaceID
	if ws == "" && v.Contact != nil {
		ws = v.Contact.WorkspaceID
	}
	return v.Facts.LookupFacts(ctx, ws, keys, sb.SubjectOf(v.Contact), clock.Now())
}

// knowledge finds the value of a knowledge placeholder among the facts
// looked up: the longest key of segs that has a fact, then the field that
// the rest of segs names in its data (its text if none).
func knowledge(path string, segs []string, facts map[string]*sb.Fact) (string, error) {
	for n := len(segs); n >= 1; n-- {
		f, ok := facts[strings.Join(segs[:n], ".")]
		if !ok {
			continue
		}
		if n == len(segs) {
			if f.Text == "" {
				return "", cannotFill(path, "the fact "+f.Key+" has no text")
			}
			return f.Text, nil
		}
		return decode(f.Data).value(path, segs[n:], "the data of the fact "+f.Key)
	}
	return "", cannotFill(path, "there is no such fact")
}

// document is a decoded JSON document whose values templates read.
type document struct {
	v   any
	err error
}

func decode(raw json.RawMessage) *document {
	d := &document{}
	if len(raw) == 0 {
		return d
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers are written as they were given: 12.50 stays 12.50
	d.err = dec.Decode(&d.v)
	return d
}

// value returns the value at the dotted path segs of the document (what
// names it in errors) as text: strings as they are, numbers as written,
// booleans as true or false. Null, absent values, objects and lists cannot
// fill a placeholder.
func (d *document) value(path string, segs []string, what string) (string, error) {
	if d.err != nil {
		return "", cannotFill(path, what+" is not valid JSON")
	}
	cur := d.v
	for i, s := range segs {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[s]
		case []any:
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(x) {
				return "", cannotFill(path, what+" has no "+strings.Join(segs[:i+1], "."))
			}
			cur = x[n]
		default:
			cur = nil
		}
		if cur == nil {
			return "", cannotFill(path, what+" has no "+strings.Join(segs[:i+1], "."))
		}
	}
	switch x := cur.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case map[string]any:
		return "", cannotFill(path, "it is an object, not a value")
	case []any:
		return "", cannotFill(path, "it is a list, not a value")
	}
	return "", cannotFill(path, what+" has no such value")
}
