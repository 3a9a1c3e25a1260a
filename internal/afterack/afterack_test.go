package afterack

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWorkOutlivesTheRequestAndIsWaitedFor(t *testing.T) {
	var w Work
	var done atomic.Int32
	release := make(chan struct{})
	for range 3 {
		w.Go(func(ctx context.Context) {
			<-release
			if ctx.Err() != nil {
				t.Error("the handling's context ended with the request's")
			}
			if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > Timeout {
				t.Errorf("deadline %v, %v: want one within Timeout", dl, ok)
			}
			done.Add(1)
		})
	}
	short, stop := context.WithCancel(context.Background())
	stop()
	if w.Stop(short) {
		t.Fatal("Stop reported the work ended while it still ran")
	}
	close(release)
	if !w.Stop(context.Background()) {
		t.Fatal("Stop gave up with no deadline")
	}
	if n := done.Load(); n != 3 {
		t.Fatalf("%d handlings ended, want 3", n)
	}
}
