package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The web register's sign-in links and sessions (adapters/web). They are
// the only state the web keeps of its own; what they hold is opaque here.
// Keys carry the SHA-256 of the token or session id, never the secret
// itself, so that a copy of the database signs no one in. Each call
// touches one key, read and written by that key: no scans.

func secretHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// PutWebLogin stores the value of a new sign-in link for ttl. A token
// already stored is refused: tokens are random, so that is a bug.
func (s *Store) PutWebLogin(ctx context.Context, token string, value []byte, ttl time.Duration) error {
	ok, err := s.rdb.SetNX(ctx, s.keys.webLogin(token), value, ttl).Result()
	if err != nil {
		return fmt.Errorf("store web login: %w", err)
	}
	if !ok {
		return errors.New("store web login: token already stored")
	}
	return nil
}

// TakeWebLogin returns the value of a sign-in link and removes it in the
// same step (GETDEL), so that two requests racing with one link cannot
// both have it; nil when there is none (never issued, used or run out).
func (s *Store) TakeWebLogin(ctx context.Context, token string) ([]byte, error) {
	b, err := s.rdb.GetDel(ctx, s.keys.webLogin(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take web login: %w", err)
	}
	return b, nil
}

// PutWebSession stores a web session for ttl.
func (s *Store) PutWebSession(ctx context.Context, id string, value []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.webSession(id), value, ttl).Err(); err != nil {
		return fmt.Errorf("store web session: %w", err)
	}
	return nil
}

// WebSession returns a web session's value; nil when there is none.
func (s *Store) WebSession(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.keys.webSession(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read web session: %w", err)
	}
	return b, nil
}

// DropWebSession ends a web session (logout).
func (s *Store) DropWebSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.keys.webSession(id)).Err(); err != nil {
		return fmt.Errorf("drop web session: %w", err)
	}
	return nil
}
