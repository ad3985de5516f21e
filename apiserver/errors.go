package apiserver

import (
	"errors"
	"fmt"
	"time"
)

// Reason classifies an API error as metav1.StatusReason does.
type Reason string

// Error reasons, as upstream's apimachinery/pkg/api/errors uses them.
const (
	ReasonNotFound           Reason = "NotFound"
	ReasonAlreadyExists      Reason = "AlreadyExists"
	ReasonConflict           Reason = "Conflict"
	ReasonTimeout            Reason = "Timeout"
	ReasonServiceUnavailable Reason = "ServiceUnavailable"
	ReasonInvalid            Reason = "Invalid"
	ReasonTooManyRequests    Reason = "TooManyRequests"
)

// StatusError is an API error. Took is how long the request took before it failed
// (a partitioned client's requests fail only after its timeout).
type StatusError struct {
	Reason  Reason
	Code    int
	Message string
	Took    time.Duration
}

func (e *StatusError) Error() string { return e.Message }

func reasonOf(err error) Reason {
	if se, ok := err.(*StatusError); ok { // the common case, without errors.As's allocation
		return se.Reason
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Reason
	}
	return ""
}

// IsNotFound reports whether err is a NotFound error.
func IsNotFound(err error) bool { return reasonOf(err) == ReasonNotFound }

// IsAlreadyExists reports whether err is an AlreadyExists error.
func IsAlreadyExists(err error) bool { return reasonOf(err) == ReasonAlreadyExists }

// IsConflict reports whether err is a Conflict error.
func IsConflict(err error) bool { return reasonOf(err) == ReasonConflict }

// IsTimeout reports whether err is a client timeout (the request never got an answer).
func IsTimeout(err error) bool { return reasonOf(err) == ReasonTimeout }

// IsUnavailable reports whether the API server refused the connection.
func IsUnavailable(err error) bool { return reasonOf(err) == ReasonServiceUnavailable }

// IsTooManyRequests reports whether err is a 429 (an eviction refused by a budget).
func IsTooManyRequests(err error) bool { return reasonOf(err) == ReasonTooManyRequests }

// Took returns how long the failed request took, or 0.
func Took(err error) time.Duration {
	if se, ok := err.(*StatusError); ok {
		return se.Took
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Took
	}
	return 0
}

func notFound(resource, name string) error {
	return &StatusError{Reason: ReasonNotFound, Code: 404, Message: fmt.Sprintf("%s %q not found", resource, name)}
}

func alreadyExists(resource, name string) error {
	return &StatusError{Reason: ReasonAlreadyExists, Code: 409, Message: fmt.Sprintf("%s %q already exists", resource, name)}
}

func conflict(resource, name string) error {
	return &StatusError{Reason: ReasonConflict, Code: 409, Message: fmt.Sprintf(
		"Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", resource, name)}
}

// NewTooManyRequests builds the 429 an eviction gets when a disruption budget refuses it.
func NewTooManyRequests(msg string) error {
	return &StatusError{Reason: ReasonTooManyRequests, Code: 429, Message: msg}
}

// NewInvalid builds a 422 Invalid error.
func NewInvalid(msg string) error {
	return &StatusError{Reason: ReasonInvalid, Code: 422, Message: msg}
}
