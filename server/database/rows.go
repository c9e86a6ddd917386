package database

import stdsql "database/sql"

// EachRow calls scan for each row of rows and closes them.
func EachRow(rows *stdsql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Int, Float, Bool and String read a value as the drivers return it when
// a row is scanned into an any, which spares database/sql's conversions
// by reflection (most of the time of a million rows): an integer is
// int64 (float64 for a whole number SQLite computed), a number float64 or
// int64, a boolean bool (int64 in SQLite), text string or []byte; NULL
// is nil, read as the zero value (Float: false).

func Int(v any) int {
	switch v := v.(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

func Float(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

func Bool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
}

func String(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}
