// Package gid encodes ent's integer global IDs as opaque Relay IDs.
//
// ent's sql/globalid feature gives every table its own 1<<32 range of IDs,
// so an integer ID already names its type. The GraphQL ID is that type and
// the row's offset within the range, base64url-encoded ("Practice:42"), so
// clients can neither guess nor depend on the integer layout.
package gid

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"dpcma/ent"

	"github.com/99designs/gqlgen/graphql"
)

type typeRange struct {
	name  string
	start int
}

var (
	byBlock = map[int]typeRange{} // start>>32 → range
	byName  = map[string]typeRange{}
)

func init() {
	starts := map[string]int{}
	if err := json.Unmarshal([]byte(ent.IncrementStarts), &starts); err != nil {
		panic("gid: bad ent.IncrementStarts: " + err.Error())
	}
	for table, start := range starts {
		name, ok := ent.NodeTypeByTable[table]
		if !ok {
			continue
		}
		r := typeRange{name: name, start: start}
		byBlock[start>>32] = r
		byName[name] = r
	}
}

// Error reports an ID that is not one of ours.
type Error struct{ Value string }

func (e *Error) Error() string {
	return fmt.Sprintf("invalid ID %q: use an id returned by this API", e.Value)
}

// Encode returns the opaque ID of a row ID.
func Encode(id int) string {
	r, ok := byBlock[id>>32]
	if !ok {
		return strconv.Itoa(id)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(r.name + ":" + strconv.Itoa(id-r.start)))
}

// Decode returns the row ID of an opaque ID.
func Decode(s string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, &Error{Value: s}
	}
	name, local, ok := strings.Cut(string(raw), ":")
	r, known := byName[name]
	n, perr := strconv.Atoi(local)
	if !ok || !known || perr != nil || n < 0 || n >= 1<<32 {
		return 0, &Error{Value: s}
	}
	return r.start + n, nil
}

// MarshalID writes an opaque ID.
func MarshalID(id int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(Encode(id))) // gqlgen reports write failures itself
	})
}

// UnmarshalID reads an opaque ID.
func UnmarshalID(v any) (int, error) {
	s, ok := v.(string)
	if !ok {
		return 0, &Error{Value: fmt.Sprint(v)}
	}
	return Decode(s)
}
