package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	sb "github.com/switchboardhq/switchboard"
)

// templateVars is what the templates of a run may use: {{params.*}},
// {{event.*}} (the event as subscribers receive it), {{conversation.*}}
// with {{conversation.transcript}}, {{contact.*}} and {{knowledge.KEY}} /
// {{knowledge.KEY.FIELD}} (the contact's facts, else the workspace's).
type templateVars struct {
	params      json.RawMessage
	event       []byte
	conv        *sb.Conversation
	contact     *sb.Contact
	transcript  string
	integration *sb.Integration
	// facts looks facts up for the run's contact (nil: none).
	facts func(keys []string) (map[string]*sb.Fact, error)
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_:.\-]+)\s*\}\}`)

// fill replaces every placeholder of t; jsonEscape writes each value as
// the contents of a JSON string. A placeholder that cannot be filled is
// an EInvalid error naming it.
func (v *templateVars) fill(t string, jsonEscape bool) (string, error) {
	var failed string
	out := placeholder.ReplaceAllStringFunc(t, func(m string) string {
		path := placeholder.FindStringSubmatch(m)[1]
		val, ok := v.lookup(path)
		if !ok {
			if failed == "" {
				failed = path
			}
			return m
		}
		s := textOf(val)
		if jsonEscape {
			b, _ := json.Marshal(s)
			s = string(b[1 : len(b)-1])
		}
		return s
	})
	if failed != "" {
		return "", sb.Errorf(sb.EInvalid, "{{%s}} cannot be filled", failed)
	}
	return out, nil
}

// textOf is a JSON value as text: a string as is, anything else as JSON.
func textOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// lookup resolves a placeholder's path to a JSON value (decoded); false
// when there is none (null counts as none).
func (v *templateVars) lookup(path string) (any, bool) {
	root, rest, _ := strings.Cut(path, ".")
	var doc any
	switch root {
	case "params":
		doc = decodeAny(v.params)
	case "event":
		doc = decodeAny(v.event)
	case "conversation":
		if v.conv == nil {
			return nil, false
		}
		if rest == "transcript" {
			return v.transcript, true
		}
		doc = viaJSON(v.conv)
	case "contact":
		if v.contact == nil {
			return nil, false
		}
		doc = viaJSON(v.contact)
	case "knowledge":
		return v.knowledge(rest)
	default:
		return nil, false
	}
	if rest == "" {
		return doc, doc != nil
	}
	val := sb.LookupPath(doc, rest)
	return val, val != nil
}

// knowledge resolves KEY or KEY.FIELD: the longest prefix of path that is
// a fact's key names the fact; the rest, if any, is a path into its data.
func (v *templateVars) knowledge(path string) (any, bool) {
	if v.facts == nil || path == "" {
		return nil, false
	}
	parts := strings.Split(path, ".")
	keys := make([]string, len(parts))
	for i := range parts {
		keys[i] = strings.Join(parts[:i+1], ".")
	}
	facts, err := v.facts(keys)
	if err != nil {
		return nil, false
	}
	for i := len(keys) - 1; i >= 0; i-- {
		f, ok := facts[keys[i]]
		if !ok {
			continue
		}
		if i == len(keys)-1 {
			return f.Text, true
		}
		val := sb.LookupPath(decodeAny(f.Data), strings.Join(parts[i+1:], "."))
		return val, val != nil
	}
	return nil, false
}

func decodeAny(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

func viaJSON(x any) any {
	b, _ := json.Marshal(x)
	return decodeAny(b)
}

// fillParams fills the placeholders of every string of params. A string
// that is exactly one placeholder takes the value's JSON type (a number
// stays a number).
func fillParams(params json.RawMessage, v *templateVars) (json.RawMessage, error) {
	doc := decodeAny(params)
	if doc == nil {
		return json.RawMessage("{}"), nil
	}
	filled, err := fillValue(doc, v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(filled)
}

func fillValue(x any, v *templateVars) (any, error) {
	switch d := x.(type) {
	case string:
		if m := placeholder.FindStringSubmatchIndex(d); m != nil && m[0] == 0 && m[1] == len(d) {
			if val, ok := v.lookup(d[m[2]:m[3]]); ok {
				return val, nil
			}
		}
		return v.fill(d, false)
	case map[string]any:
		for k, e := range d {
			f, err := fillValue(e, v)
			if err != nil {
				return nil, err
			}
			d[k] = f
		}
	case []any:
		for i, e := range d {
			f, err := fillValue(e, v)
			if err != nil {
				return nil, err
			}
			d[i] = f
		}
	}
	return x, nil
}

// schemas caches the compiled params schema of each action spec.
var schemas sync.Map // string (the schema's text) → *jsonschema.Schema

var printer = message.NewPrinter(language.English)

// checkParams checks raw (empty: {}) as the params of an action: a JSON
// object, valid against the action's schema unless it holds placeholders
// (those are checked once filled). Errors name field and the path within.
func checkParams(spec sb.ActionSpec, raw json.RawMessage, field string) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, sb.Invalid(field, "must be a JSON object")
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, sb.Invalid(field, "must be a JSON object")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, sb.Invalid(field, "must be a JSON object")
	}
	if len(spec.Params) == 0 || bytes.Contains(raw, []byte("{{")) {
		return compact.Bytes(), nil
	}
	sch, err := compileSchema(spec.Params)
	if err != nil {
		return nil, err
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, sb.Invalid(field, err.Error())
		}
		var v sb.Validation
		for _, leaf := range leaves(ve) {
			name := field
			if len(leaf.InstanceLocation) > 0 {
				name += "." + strings.Join(leaf.InstanceLocation, ".")
			}
			v.Add(name, leaf.ErrorKind.LocalizedString(printer))
		}
		return nil, v.Err()
	}
	return compact.Bytes(), nil
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func compileSchema(schema json.RawMessage) (*jsonschema.Schema, error) {
	if s, ok := schemas.Load(string(schema)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("params.json", doc); err != nil {
		return nil, err
	}
	s, err := c.Compile("params.json")
	if err != nil {
		return nil, err
	}
	schemas.Store(string(schema), s)
	return s, nil
}
