package bot

import "time"

// Metrics is told what the engine and the deliverer do, for monitoring.
// cmd/sangkien implements it with Prometheus; nil counts nothing.
type Metrics interface {
	// Handled: one inbound update, its outcome (ok, duplicate, refused,
	// error, throttled) and how long handling took.
	Handled(platform, outcome string, took time.Duration)
	// Delivery: one send attempt and its result (sent, retry,
	// rate_limited, failed_address, parked, deferred).
	Delivery(platform, result string)
}

// Outcomes of Handled.
const (
	OutcomeOK        = "ok"
	OutcomeDuplicate = "duplicate"
	OutcomeRefused   = "refused"   // a clear answer, nothing changed
	OutcomeError     = "error"     // the store failed
	OutcomeThrottled = "throttled" // past the inbound limit (throttle.go)
)

// Results of Delivery.
const (
	ResultSent          = "sent"
	ResultRetry         = "retry"
	ResultRateLimited   = "rate_limited" // the platform answered 429
	ResultFailedAddress = "failed_address"
	ResultParked        = "parked"
	ResultDeferred      = "deferred" // our own rate limit said wait
)

type noMetrics struct{}

func (noMetrics) Handled(string, string, time.Duration) {}
func (noMetrics) Delivery(string, string)               {}
