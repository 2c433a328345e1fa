package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/tmpl"
)

// runVars are what the templates of a run may use (package tmpl):
// {{params.*}}, {{event.*}} (the event as subscribers receive it),
// {{conversation.id}}, {{conversation.transcript}}, {{contact.*}} and
// {{knowledge.*}}, with the transcript also handed to the provider.
type runVars struct {
	tmpl.Vars
	conv       *sb.Conversation
	contact    *sb.Contact
	transcript string
}

// fill renders a template; jsonEscape writes each value as the contents
// of a JSON string.
func (v *runVars) fill(ctx context.Context, t string, jsonEscape bool) (string, error) {
	if jsonEscape {
		return tmpl.Render(ctx, t, v.Lookup, tmpl.JSONString)
	}
	return v.Fill(ctx, t)
}

// fillParams fills the placeholders of every string of params.
func fillParams(ctx context.Context, params json.RawMessage, v *runVars) (json.RawMessage, error) {
	if !bytes.Contains(params, []byte("{{")) {
		return params, nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, sb.Invalid("params", "must be a JSON object")
	}
	filled, err := fillValue(ctx, doc, v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(filled)
}

func fillValue(ctx context.Context, x any, v *runVars) (any, error) {
	switch d := x.(type) {
	case string:
		return v.fill(ctx, d, false)
	case map[string]any:
		for k, e := range d {
			f, err := fillValue(ctx, e, v)
			if err != nil {
				return nil, err
			}
			d[k] = f
		}
	case []any:
		for i, e := range d {
			f, err := fillValue(ctx, e, v)
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
