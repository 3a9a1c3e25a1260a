// Command sangkien is the proposal-and-supervision bot of Conclusion
// 14-KL/TW: one binary with the platform adapters, the schedules, the
// delivery worker and the operator's subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the org's time zone works on machines without zoneinfo
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `sangkien — innovation proposals under Conclusion 14-KL/TW

Usage:
  sangkien                      console on the demo org when no platform is configured, else serve
  sangkien serve                the configured adapters, schedules, delivery worker and HTTP server
  sangkien console [--as ID]    chat in the terminal (/as IDENTITY switches who you are)
  sangkien verify               check every proposal's hash chain and record
  sangkien export --format json|csv|xlsx
  sangkien outbox [retry ID]    list parked messages; send one again
  sangkien jobs [list]          the scheduled jobs, their specs and next runs
  sangkien jobs run NAME        run a job now for its current period (enqueues; serve delivers)
  sangkien key                  the public key of the bot's signature, and its fingerprint
  sangkien verify-certificate FILE.pdf|URL|STATEMENT [--key BASE64] [--offline]
                                check a signed protection record (and, with a store, its chain)
  sangkien config check         load and check the org file
  sangkien version

Environment: SANGKIEN_ORG, SANGKIEN_REDIS_URL, SANGKIEN_DATA_DIR,
SANGKIEN_HTTP_ADDR (webhooks, /healthz), SANGKIEN_OPS_ADDR (/readyz, /metrics;
default 127.0.0.1:9090), SANGKIEN_HTTP_{READ,WRITE,IDLE}_TIMEOUT,
SANGKIEN_LOG_FORMAT (text|json), SANGKIEN_SIGNING_KEY (the signing key's file),
SANGKIEN_PUBLIC_URL (the web's address, for links and the QR code), the platforms' tokens. See README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	log := newLogger(stderr, getenv("SANGKIEN_LOG_FORMAT"))
	env := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, log: log}
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		if env.platformConfigured() {
			err = env.serve()
		} else {
			err = env.console(nil)
		}
	case "serve":
		err = env.serve()
	case "console":
		err = env.console(args)
	case "verify":
		err = env.verify()
	case "export":
		err = env.export(args)
	case "outbox":
		err = env.outbox(args)
	case "jobs":
		err = env.jobs(args)
	case "key":
		err = env.key()
	case "verify-certificate":
		err = env.verifyCertificate(args)
	case "config":
		if len(args) != 1 || args[0] != "check" {
			err = fmt.Errorf("%w: sangkien config check", errUsage)
			break
		}
		err = env.configCheck()
	case "version":
		fmt.Fprintln(stdout, "sangkien", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stderr, "sangkien: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		log.Error(err.Error())
		return 1
	}
}

// errFailed: the command printed why it failed (verify found a break).
var errFailed = errors.New("failed")

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
