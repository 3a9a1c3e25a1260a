package storage_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

func TestSigningKeyIsMadeOnceForEveryReplica(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	const replicas = 8
	keys := make([]string, replicas)
	made := make([]bool, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			k, created, err := storage.New(rdb).SigningKey(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i], made[i] = string(k), created
		})
	}
	wg.Wait()
	n := 0
	for i := range replicas {
		if made[i] {
			n++
		}
		if keys[i] != keys[0] {
			t.Fatalf("replica %d got another key", i)
		}
	}
	if n != 1 {
		t.Fatalf("%d replicas made a key, want 1", n)
	}
	again, created, err := storage.New(rdb).SigningKey(ctx)
	if err != nil || created || string(again) != keys[0] {
		t.Fatalf("after a restart: created %v, same %v, %v", created, string(again) == keys[0], err)
	}
}
