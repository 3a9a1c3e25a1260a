package storage

import "github.com/sangkien/sangkien/bot"

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

// AOFPath is the append-only file of e.
func AOFPath(e *Embedded) string { return e.path() }

// MarkerKey is the key of the Message.Key marker key in shard n of s.
func MarkerKey(s *Store, n int, key string) string { return s.keys.msgKey(n, key) }
