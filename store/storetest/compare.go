package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// same fails the test unless got and want are equal: field by field, with
// times equal to the microsecond and in UTC, and JSON documents
// (json.RawMessage) semantically equal.
func same(t *testing.T, got, want any) {
	t.Helper()
	if d := diff("", reflect.ValueOf(got), reflect.ValueOf(want)); d != "" {
		t.Fatalf("%T differs: %s", want, d)
	}
}

func diff(path string, g, w reflect.Value) string {
	if g.IsValid() != w.IsValid() || (g.IsValid() && g.Type() != w.Type()) {
		return fmt.Sprintf("%s: got %v, want %v", path, g, w)
	}
	if !g.IsValid() {
		return ""
	}
	switch {
	case g.Type() == timeType:
		return diffTime(path, g.Interface().(time.Time), w.Interface().(time.Time))
	case g.Type() == rawType:
		return diffJSON(path, g.Bytes(), w.Bytes())
	}
	switch g.Kind() {
	case reflect.Pointer:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() != w.IsNil() {
				return fmt.Sprintf("%s: got %v, want %v", path, show(g), show(w))
			}
			return ""
		}
		return diff(path, g.Elem(), w.Elem())
	case reflect.Struct:
		for i := range g.NumField() {
			if d := diff(path+"."+g.Type().Field(i).Name, g.Field(i), w.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if g.Type().Elem().Kind() == reflect.Uint8 && bytes.Equal(g.Bytes(), w.Bytes()) {
			return ""
		}
	}
	if !reflect.DeepEqual(g.Interface(), w.Interface()) {
		return fmt.Sprintf("%s: got %#v, want %#v", path, g.Interface(), w.Interface())
	}
	return ""
}

func diffTime(path string, g, w time.Time) string {
	if !g.Equal(w) {
		return fmt.Sprintf("%s: got %s, want %s", path, g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))
	}
	if g.Location() != time.UTC {
		return fmt.Sprintf("%s: got a time in %s, want UTC", path, g.Location())
	}
	if g.Nanosecond()%1000 != 0 {
		return fmt.Sprintf("%s: got %s, finer than microseconds", path, g.Format(time.RFC3339Nano))
	}
	return ""
}

func diffJSON(path string, g, w []byte) string {
	if len(g) == 0 || len(w) == 0 {
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got JSON %q, want %q", path, g, w)
		}
		return ""
	}
	var gv, wv any
	if err := json.Unmarshal(g, &gv); err != nil {
		return fmt.Sprintf("%s: got invalid JSON %q: %v", path, g, err)
	}
	if err := json.Unmarshal(w, &wv); err != nil {
		return fmt.Sprintf("%s: want invalid JSON %q: %v", path, w, err)
	}
	if !reflect.DeepEqual(gv, wv) {
		return fmt.Sprintf("%s: got JSON %s, want %s", path, g, w)
	}
	return ""
}

func show(v reflect.Value) any {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return v.Elem().Interface()
	}
	return v.Interface()
}

// ids returns the ids of a list of resources, in order.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
