package org

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinJoinCode is the fewest characters a join code should have that are
// not the unit's code or id, a year, or separators: a shorter one can be
// guessed (the bot also makes each wrong guess wait longer; see bot).
const MinJoinCode = 8

// Warnings lists what in a valid org file will not work as its author
// likely meant, one sentence each, in the order of the units: a leader
// whose own proposals nobody could decide on, and join codes short or
// shaped enough to be guessed (TNMT-2026). `sangkien config check` prints
// them; the bot runs regardless.
func (o *Org) Warnings() []string {
	var out []string
	for i := range o.Units {
		u := &o.Units[i]
		for _, l := range u.Leaders {
			if !o.someoneElseDecides(l, u) {
				out = append(out, fmt.Sprintf("unit %q: %s is its only leader and no unit above has another, so nobody could decide on a proposal %s files (nobody decides on their own): the bot refuses to take one. Add another leader to %q or to a parent unit.", u.ID, o.DisplayName(l), o.DisplayName(l), u.ID))
			}
		}
		if u.JoinCode == "" {
			continue
		}
		if n := utf8.RuneCountInString(NormalizeCode(u.JoinCode)); n < MinJoinCode {
			out = append(out, fmt.Sprintf("unit %q: join_code %q is short (%d characters): anyone could guess it. Use at least %d random letters and digits, e.g. %s.", u.ID, u.JoinCode, n, MinJoinCode, exampleJoinCode))
		} else if guessable(u) {
			out = append(out, fmt.Sprintf("unit %q: join_code %q is the unit's code or id and a year, which anyone could guess. Use at least %d random letters and digits, e.g. %s.", u.ID, u.JoinCode, MinJoinCode, exampleJoinCode))
		}
	}
	return out
}

// exampleJoinCode shows the shape of a join code worth having.
const exampleJoinCode = "TNMT-7QX4-M2KP"

// someoneElseDecides reports whether a leader other than person leads u
// or a unit above it, as the bot needs for a proposal person files in u.
func (o *Org) someoneElseDecides(person string, u *Unit) bool {
	units := append([]*Unit{u}, o.Ancestors(u.ID)...)
	for _, a := range units {
		for _, l := range a.Leaders {
			if l != person {
				return true
			}
		}
	}
	return false
}

// year is a year a code might carry.
var year = regexp.MustCompile(`(19|20)\d\d`)

// guessable reports whether u's join code has fewer than MinJoinCode
// characters besides the unit's code and id, a year, and separators.
func guessable(u *Unit) bool {
	rest := NormalizeCode(u.JoinCode)
	for _, known := range []string{u.Code, u.ID} {
		if k := NormalizeCode(known); k != "" {
			rest = strings.ReplaceAll(rest, k, "")
		}
	}
	rest = year.ReplaceAllString(rest, "")
	n := 0
	for _, r := range rest {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n < MinJoinCode
}
