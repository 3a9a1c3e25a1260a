package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// metrics is bot.Metrics on Prometheus, with gauges read from the store at
// scrape time.
type metrics struct {
	reg         *prometheus.Registry
	updates     *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	deliveries  *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	redisErrors prometheus.Counter
	jobRuns     *prometheus.CounterVec
	jobSeconds  *prometheus.HistogramVec
}

var _ bot.Metrics = (*metrics)(nil)

func newMetrics(a *app) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sangkien_updates_total", Help: "Inbound updates handled, by platform and outcome (ok, duplicate, refused, error).",
		}, []string{"platform", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sangkien_update_seconds", Help: "Time to handle one inbound update.",
			Buckets: []float64{.001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"platform"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sangkien_deliveries_total", Help: "Send attempts, by platform and result (sent, retry, rate_limited, failed_address, parked, deferred).",
		}, []string{"platform", "result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sangkien_platform_429_total", Help: "Answers 429 (too many requests) from a platform.",
		}, []string{"platform"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sangkien_redis_errors_total", Help: "Redis commands that failed (not counting nil replies).",
		}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sangkien_job_runs_total", Help: "Scheduled job runs, by job and result.",
		}, []string{"job", "result"}),
		jobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sangkien_job_seconds", Help: "Duration of scheduled job runs.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8),
		}, []string{"job"}),
	}
	m.reg.MustRegister(m.updates, m.latency, m.deliveries, m.rateLimited, m.redisErrors, m.jobRuns, m.jobSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{a: a})
	a.store.Client().AddHook(redisErrorHook{m.redisErrors})
	return m
}

func (m *metrics) Handled(platform, outcome string, took time.Duration) {
	m.updates.WithLabelValues(platform, outcome).Inc()
	m.latency.WithLabelValues(platform).Observe(took.Seconds())
}

func (m *metrics) Delivery(platform, result string) {
	m.deliveries.WithLabelValues(platform, result).Inc()
	if result == bot.ResultRateLimited {
		m.rateLimited.WithLabelValues(platform).Inc()
	}
}

// Job records one run of a scheduled job.
func (m *metrics) Job(name, result string, took time.Duration) {
	m.jobRuns.WithLabelValues(name, result).Inc()
	m.jobSeconds.WithLabelValues(name).Observe(took.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// storeCollector reads the outbox depth and the proposals by status from
// the store when Prometheus scrapes.
type storeCollector struct{ a *app }

var (
	outboxDesc    = prometheus.NewDesc("sangkien_outbox_messages", "Messages in the outbox, waiting or parked.", []string{"state"}, nil)
	proposalsDesc = prometheus.NewDesc("sangkien_proposals", "Proposals by status.", []string{"status"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDesc
	ch <- proposalsDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if waiting, parked, err := c.a.store.Depth(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(waiting), "waiting")
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(parked), "parked")
	}
	if counts, err := c.a.store.Counts(ctx); err == nil {
		for st, n := range counts {
			ch <- prometheus.MustNewConstMetric(proposalsDesc, prometheus.GaugeValue, float64(n), string(st))
		}
	}
}

// redisErrorHook counts failed Redis commands.
type redisErrorHook struct{ c prometheus.Counter }

func (h redisErrorHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisErrorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil && err != redis.Nil {
			h.c.Inc()
		}
		return err
	}
}

func (h redisErrorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if e := c.Err(); e != nil && e != redis.Nil {
				h.c.Inc()
			}
		}
		return err
	}
}
