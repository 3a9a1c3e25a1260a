package storage

import (
	"context"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// Internals the external tests look at.

// ShardOf is shardOf.
var ShardOf = shardOf

// Shards is shards.
const Shards = shards

// SeenKey is the key of person's dedupe claim in s.
func SeenKey(s *Store, person, dedupe string) string { return s.keys.seen(person, dedupe) }

// EscalatedKey is the escalation index of unit code in status st.
func EscalatedKey(s *Store, code string, st bot.Status) string { return s.keys.escalated(code, st) }

// LayoutKey holds the layout version.
func LayoutKey(s *Store) string { return s.keys.layout() }

// MarkerKey is the key of the Message.Key marker key in shard n of s.
func MarkerKey(s *Store, n int, key string) string { return s.keys.msgKey(n, key) }

// ClaimResent is Claim (as the claim whose lease ends at until) whose
// take is sent twice, as go-redis sends a command again after a read
// timeout: it returns what each run handed back.
func ClaimResent(s *Store, ctx context.Context, now, until time.Time, max int) (first, again []*bot.Envelope, err error) {
	dues, err := s.due(ctx, now, max)
	if err != nil {
		return nil, nil, err
	}
	claim := claimName(until)
	if first, err = s.take(ctx, now, claim, dues); err != nil {
		return nil, nil, err
	}
	again, err = s.take(ctx, now, claim, dues)
	return first, again, err
}
