package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// timeCol scans a stored time (a time.Time from PostgreSQL, a string from
// SQLite) into a time.Time in UTC.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*c.dst = t
	return nil
}

// nullTimeCol scans an optional stored time; NULL is nil.
type nullTimeCol struct{ dst **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.dst = nil
		return nil
	}
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		return parseTimeText(x)
	case []byte:
		return parseTimeText(string(x))
	}
	return time.Time{}, fmt.Errorf("store: cannot scan %T as a time", v)
}

func parseTimeText(s string) (time.Time, error) {
	if t, ok := parseStoredTime(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad stored time %q", s)
	}
	return t.UTC(), nil
}

// parseStoredTime parses sqliteTimeLayout quickly: reading a list parses
// two or three times per row.
func parseStoredTime(s string) (time.Time, bool) {
	// 2006-01-02T15:04:05.000000Z
	if len(s) != len(sqliteTimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	var n [7]int
	for i, f := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 26}} {
		for _, c := range []byte(s[f[0]:f[1]]) {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	if n[1] < 1 || n[1] > 12 || n[2] < 1 || n[2] > 31 || n[3] > 23 || n[4] > 59 || n[5] > 59 {
		return time.Time{}, false
	}
	return time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], n[6]*1000, time.UTC), true
}

// jsonCol scans a stored JSON document (TEXT or JSONB) into dst with
// json.Unmarshal; NULL leaves dst unchanged.
type jsonCol struct{ dst any }

func (c jsonCol) Scan(v any) error {
	b, err := textBytes(v)
	if err != nil || b == nil {
		return err
	}
	return json.Unmarshal(b, c.dst)
}

// rawCol scans a stored JSON document into a json.RawMessage; NULL is nil.
type rawCol struct{ dst *json.RawMessage }

func (c rawCol) Scan(v any) error {
	b, err := textBytes(v)
	if err != nil {
		return err
	}
	if b == nil {
		*c.dst = nil
		return nil
	}
	*c.dst = append(json.RawMessage(nil), b...)
	return nil
}

func textBytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	}
	return nil, fmt.Errorf("store: cannot scan %T as JSON", v)
}

// encodeJSON encodes v for a JSON column; a nil map or slice becomes empty.
func encodeJSON(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode JSON: %w", err)
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

// encodeRaw encodes a JSON document given as raw bytes: empty is def (or
// NULL when def is ""). The document is checked, so that both dialects
// refuse the same inputs.
func encodeRaw(raw json.RawMessage, def string) (any, error) {
	if len(raw) == 0 {
		if def == "" {
			return nil, nil
		}
		return def, nil
	}
	if !json.Valid(raw) {
		return nil, errors.New("store: JSON document is not valid JSON")
	}
	return string(raw), nil
}

// seal encodes and seals a secrets map; an empty map is stored as NULL.
func (c *core) seal(secrets map[string]string) (any, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	if c.sealer == nil {
		return nil, errors.New("store: no sealer configured to encrypt secrets")
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("store: encode secrets: %w", err)
	}
	sealed, err := c.sealer.Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("store: seal secrets: %w", err)
	}
	return sealed, nil
}

// open opens sealed secrets; NULL is an empty map.
func (c *core) open(sealed []byte) (map[string]string, error) {
	secrets := map[string]string{}
	if len(sealed) == 0 {
		return secrets, nil
	}
	if c.sealer == nil {
		return nil, errors.New("store: no sealer configured to decrypt secrets")
	}
	plain, err := c.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("store: open secrets: %w", err)
	}
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, fmt.Errorf("store: decode secrets: %w", err)
	}
	return secrets, nil
}

// orEmpty returns m, or an empty map if m is nil: stores read back empty
// maps, and normalise the structs they are given to match.
func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// orEmptyObject returns raw, or the empty JSON object if raw is empty.
func orEmptyObject(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}
