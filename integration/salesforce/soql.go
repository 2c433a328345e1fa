package salesforce

import (
	"fmt"
	"strings"
)

// Quote writes s as a SOQL string literal: in single quotes, with the
// escape sequences SOQL defines for a backslash, both quotes, and the
// newline, carriage return, tab, backspace and form feed characters.
// Other control characters have no escape in SOQL and are refused, so a
// value can never end the literal early and add to the query.
func Quote(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 || r == 0x7f {
				return "", fmt.Errorf("the value holds the control character %U, which SOQL cannot quote", r)
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// leadByEmail is the query finding the open (not converted) Lead of an
// email, the most recently changed first.
func leadByEmail(email string) (string, error) {
	lit, err := Quote(email)
	if err != nil {
		return "", err
	}
	return "SELECT Id FROM Lead WHERE Email = " + lit + " AND IsConverted = false ORDER BY LastModifiedDate DESC LIMIT 1", nil
}
