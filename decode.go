package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// DecodeStrict decodes one JSON value from data into v, rejecting unknown
// fields, wrong types and trailing data. Errors are invalid_request errors
// naming the offending field, prefixed with prefix ("" for the body itself).
func DecodeStrict(data []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return JSONError(err, prefix)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid(fieldPath(prefix, ""), "must be a single JSON value")
	}
	return nil
}

// JSONError translates an encoding/json error into an invalid_request error
// naming the field.
func JSONError(err error, prefix string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Invalid(fieldPath(prefix, ""), "is not valid JSON: "+syn.Error()+" at offset "+strconv.FormatInt(syn.Offset, 10))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid(fieldPath(prefix, ""), "is empty or truncated JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return Invalid(fieldPath(prefix, ""), "must be "+jsonKind(typ.Type.Kind().String()))
		}
		return Invalid(fieldPath(prefix, field), "must be "+jsonKind(typ.Type.Kind().String())+", not "+typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return Invalid(fieldPath(prefix, name), "is not a known field")
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Invalid(fieldPath(prefix, ""), err.Error())
}

func fieldPath(prefix, field string) string {
	switch {
	case prefix == "" && field == "":
		return "body"
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "a " + goKind
}

// DecodeConfig decodes a provider's configuration (a bot engine's config)
// strictly into v: empty or null is the empty object; errors name the
// field prefixed with "config.".
func DecodeConfig(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	return DecodeStrict(raw, v, "config")
}

// CheckHTTPURL returns "" if s is an absolute http(s) URL, or what is wrong
// with it ("is required" when empty), for a field error.
func CheckHTTPURL(s string) string {
	if s == "" {
		return "is required"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}

// Optional is a field of a partial update: absent (Set false), null (Null),
// or a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was given, and whether as null.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}
