// Package scalar holds custom GraphQL scalars.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// dateLayout is ISO 8601 calendar date, the format of Date values.
const dateLayout = "2006-01-02"

// MarshalDate writes a calendar date (UTC) as "YYYY-MM-DD".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(dateLayout))) // gqlgen reports write failures itself
	})
}

// UnmarshalDate reads "YYYY-MM-DD" into a UTC midnight time.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a Date must be a string in the form YYYY-MM-DD, got %T", v)
	}
	t, err := time.ParseInLocation(dateLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("a Date must be in the form YYYY-MM-DD, got %q", s)
	}
	return t, nil
}
