package storage

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// SigningKey returns the bot's Ed25519 key kept in the store, generating
// and storing one the first time. The write is SET NX, so replicas that
// start together agree on the one that got there first; created says it
// was this call's. Used only without SANGKIEN_SIGNING_KEY (docs/rules/
// protection.md): whoever can read the store can then sign.
func (s *Store) SigningKey(ctx context.Context) (key ed25519.PrivateKey, created bool, err error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, false, fmt.Errorf("generate signing key: %w", err)
	}
	k := s.keys.signingKey()
	created, err = s.rdb.SetNX(ctx, k, base64.StdEncoding.EncodeToString(seed), 0).Result()
	if err != nil {
		return nil, false, fmt.Errorf("store signing key: %w", err)
	}
	if !created {
		stored, err := s.rdb.Get(ctx, k).Result()
		if errors.Is(err, redis.Nil) {
			return nil, false, fmt.Errorf("read signing key %s: gone since it was set", k)
		}
		if err != nil {
			return nil, false, fmt.Errorf("read signing key: %w", err)
		}
		if seed, err = base64.StdEncoding.DecodeString(stored); err != nil || len(seed) != ed25519.SeedSize {
			return nil, false, fmt.Errorf("read signing key %s: not a base64 Ed25519 seed", k)
		}
	}
	return ed25519.NewKeyFromSeed(seed), created, nil
}
