package bot

import (
	"errors"
	"fmt"
)

// Error codes the engine maps to localized replies.
const (
	ENotFound    = "not_found"
	ENotAllowed  = "not_allowed"
	EInvalid     = "invalid"
	EConflict    = "conflict"
	EUnavailable = "unavailable" // the store cannot be reached; try again
)

// Error is a domain error with a code and a message key for the user.
type Error struct {
	Code string
	Key  string         // catalog message id shown to the user
	Data map[string]any // template data for Key
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Key) }

// ErrorCode returns the code of the first *Error in err's chain, EUnavailable
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EUnavailable
}

// ErrConflict is returned by Store.Commit when the proposal moved on since
// it was read (another decision won).
var ErrConflict = &Error{Code: EConflict, Key: "err.conflict"}

// ErrNotFound is returned by the store for a missing record.
var ErrNotFound = &Error{Code: ENotFound, Key: "err.not_found"}
