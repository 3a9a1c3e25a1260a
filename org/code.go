package org

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// ParseDuration reads a Go duration (72h, 90m, 1s) or whole days (5d, or a
// bare 14). The result must be positive.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("duration is empty: use hours such as 72h or days such as 5d")
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(t, "d"); ok || isInteger(t) {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || !isInteger(days) {
			return 0, fmt.Errorf("duration %q: days must be a whole number, such as 5d", s)
		}
		if n <= 0 {
			return 0, fmt.Errorf("duration %q must be more than zero", s)
		}
		if n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		d, err = time.ParseDuration(t)
		if err != nil {
			return 0, fmt.Errorf("duration %q: use hours such as 72h, minutes such as 90m or days such as 5d", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be more than zero", s)
	}
	return d, nil
}

// isInteger reports whether s is an optionally signed run of ASCII digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// NormalizeCode puts a code as typed by a user or written in the org file
// into the one form codes are compared in: NFC, trimmed, upper case. Phones
// and keyboards send Vietnamese both precomposed and decomposed.
func NormalizeCode(s string) string {
	return norm.NFC.String(strings.ToUpper(strings.TrimSpace(s)))
}
