package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/export"
)

// verify checks every chain and record; exit status 0 only when all hold.
func (e *env) verify() error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	n, brk, err := bot.VerifyAll(e.ctx, a.store)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(e.stdout, "BROKEN: %s\n", brk)
		fmt.Fprintf(e.stdout, "checked %d proposal(s) up to the first break\n", n)
		return errFailed
	}
	fmt.Fprintf(e.stdout, "ok: %d proposal(s), every hash chain and record intact\n", n)
	return nil
}

func (e *env) export(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "json", "json, csv or xlsx")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *format != "json" && *format != "csv" && *format != "xlsx" {
		return fmt.Errorf("%w: --format json|csv|xlsx", errUsage)
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	ids, err := a.store.AllProposals(e.ctx)
	if err != nil {
		return err
	}
	ps, err := a.store.Proposals(e.ctx, ids)
	if err != nil {
		return err
	}
	out := make([]export.Proposal, 0, len(ps))
	for _, p := range ps {
		if p == nil {
			continue
		}
		evs, err := a.store.Events(e.ctx, p.ID)
		if err != nil {
			return err
		}
		out = append(out, export.Of(p, evs))
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	rows := export.Rows(out)
	if *format == "xlsx" {
		return export.XLSX(e.stdout, out)
	}
	w := csv.NewWriter(e.stdout)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return w.Error()
}

// outbox lists parked messages, or sends one again.
func (e *env) outbox(args []string) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	switch {
	case len(args) == 2 && args[0] == "retry":
		if err := a.store.Unpark(e.ctx, args[1], time.Now()); err != nil {
			return fmt.Errorf("retry %s: %w", args[1], err)
		}
		fmt.Fprintf(e.stdout, "%s: queued again; a running serve delivers it\n", args[1])
		return nil
	case len(args) != 0:
		return fmt.Errorf("%w: sangkien outbox [retry ID]", errUsage)
	}
	waiting, parked, err := a.store.Depth(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "waiting: %d, parked: %d\n", waiting, parked)
	list, err := a.store.Parked(e.ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		fmt.Fprintf(e.stdout, "%s  queued %s  to %v  attempts %d\n    reason: %s\n    text: %.120q\n", m.ID, m.Queued.Format(time.RFC3339), m.To, m.Attempts, m.Err, m.Text.String())
	}
	return nil
}
