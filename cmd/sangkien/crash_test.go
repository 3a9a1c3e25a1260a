package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/internal/faultproxy"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/internal/redisurl"
)

// The crash and Redis-fault tests run the real binary as a separate
// process against the fake Bot API (in the test process) and a
// redis-server of their own, and kill one or the other with SIGKILL.
//
// Profiles: the short one (default; skipped with -short) files a few
// dozen proposals and kills serve 3 times (the fault test hangs Redis
// once); SANGKIEN_CRASH_LONG=1 files hundreds, kills serve 20 times and
// hangs Redis 5 times meanwhile (several minutes). See docs/RELIABILITY.md.

// crashProfile sizes the load.
type crashProfile struct {
	units, cadresPerUnit, proposalsPerCadre int
	kills                                   int
	killEvery                               time.Duration // kills come at random within [1s, 1s+killEvery]
	outage                                  time.Duration // Redis stop in the fault test
	hangs                                   int           // Redis hangs (faultproxy) in the crash and fault tests
}

func profile() (crashProfile, string) {
	if os.Getenv("SANGKIEN_CRASH_LONG") != "" {
		return crashProfile{units: 20, cadresPerUnit: 5, proposalsPerCadre: 3, kills: 20, killEvery: 20 * time.Second, outage: 10 * time.Second, hangs: 5}, "long"
	}
	return crashProfile{units: 12, cadresPerUnit: 2, proposalsPerCadre: 1, kills: 3, killEvery: 4 * time.Second, outage: 10 * time.Second, hangs: 1}, "short"
}

// buildSangkien builds the binary under test into a temporary directory.
func buildSangkien(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sangkien")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// loadOrg writes an org of units TN00.., each with one leader
// (telegram:9000+u) and cadres (telegram:10000+100u+c), no group channels
// (their 20-a-minute limit would only slow the load down).
func loadOrg(t *testing.T, p crashProfile, lang string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: \"Tỉnh Crash\"\ntimezone: Asia/Ho_Chi_Minh\nlanguage: %s\npeople:\n", lang)
	for u := range p.units {
		fmt.Fprintf(&b, "  - {id: leader-%d, name: \"Lãnh đạo %d\", identities: [\"telegram:%d\"]}\n", u, u, leaderID(u))
		for c := range p.cadresPerUnit {
			fmt.Fprintf(&b, "  - {id: cadre-%d-%d, name: \"Cán bộ %d-%d\", identities: [\"telegram:%d\"]}\n", u, c, u, c, cadreID(u, c))
		}
	}
	b.WriteString("units:\n  - {id: root, code: ROOT, name: \"Tỉnh ủy\", leaders: [leader-0]}\n")
	for u := range p.units {
		fmt.Fprintf(&b, "  - id: unit-%d\n    code: TN%02d\n    name: \"Sở %d\"\n    parent: root\n    leaders: [leader-%d]\n    members: [", u, u, u, u)
		for c := range p.cadresPerUnit {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "cadre-%d-%d", u, c)
		}
		b.WriteString("]\n")
	}
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func leaderID(u int) int64   { return int64(9000 + u) }
func cadreID(u, c int) int64 { return int64(10000 + 100*u + c) }

// serveProc is `sangkien serve` as a child process that the test kills
// and starts again.
type serveProc struct {
	t    *testing.T
	bin  string
	env  []string
	logs string
	rdb  redis.UniversalClient

	mu  sync.Mutex
	cmd *exec.Cmd
}

func newServeProc(t *testing.T, bin, redisURL, orgPath, api string) *serveProc {
	rdb, _, err := redisurl.Open(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, bin: bin, logs: filepath.Join(t.TempDir(), "serve.log"), rdb: rdb,
		env: []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
			"SANGKIEN_REDIS_URL=" + redisURL, "SANGKIEN_ORG=" + orgPath,
			"SANGKIEN_TELEGRAM_TOKEN=" + telegramtest.Token, "SANGKIEN_TELEGRAM_API=" + api,
			"SANGKIEN_HTTP_ADDR=127.0.0.1:0", "SANGKIEN_OPS_ADDR=127.0.0.1:0", "SANGKIEN_LOG_FORMAT=json",
		}}
	t.Cleanup(func() {
		p.kill()
		p.rdb.Close()
		if dir := os.Getenv("SANGKIEN_CRASH_LOGS"); dir != "" { // serve's whole log, kept for a look after the run
			b, _ := os.ReadFile(p.logs)
			_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), b, 0o600)
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.logs)
			t.Logf("serve logs (last 6 KB):\n%s", b[max(0, len(b)-6000):])
		}
	})
	return p
}

// run runs a one-shot subcommand of the binary against the same store.
func (p *serveProc) run(args ...string) (code int, stdout, stderr string) {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		p.t.Fatalf("%v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

func (p *serveProc) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	logf, err := os.OpenFile(p.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	logf.Close()
	p.cmd = cmd
}

// kill ends serve with SIGKILL, as a crash would, and frees the polling
// lease the dead process held: the same as waiting out its 10-second TTL.
func (p *serveProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
	_ = p.rdb.Del(context.Background(), "sk:{lease:telegram:4242}").Err()
}

// stop ends serve with SIGTERM (graceful shutdown) and returns its exit code.
func (p *serveProc) stop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	code := p.cmd.ProcessState.ExitCode()
	p.cmd = nil
	return code
}

// outboxDepth reads `sangkien outbox`.
func (p *serveProc) outboxDepth() (waiting, parked int, text string) {
	code, out, errs := p.run("outbox")
	if code != 0 {
		return -1, -1, errs
	}
	fmt.Sscanf(out, "waiting: %d, parked: %d", &waiting, &parked)
	return waiting, parked, out
}

// exportedProposal is one proposal of `sangkien export --format json`.
type exportedProposal struct {
	ID, Unit, Title, Status, Proposer string
	Events                            []struct {
		Seq                     int
		Actor, Action, From, To string
	}
}

func (p *serveProc) export() ([]exportedProposal, string) {
	code, out, errs := p.run("export", "--format", "json")
	if code != 0 {
		p.t.Fatalf("export exit %d: %s", code, errs)
	}
	var got []exportedProposal
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		p.t.Fatalf("export is not JSON: %v", err)
	}
	return got, out
}

// driver plays the users of the load org over the fake Bot API, as people
// would: it acts, waits for the bot's answer, and when the answer does not
// come (an update lost at a kill) it cancels and goes on.
type driver struct {
	t    *testing.T
	srv  *telegramtest.Server
	wait time.Duration // how long a user waits for an answer

	mu        sync.Mutex
	abandoned int
	misses    []miss // the answers waited for in vain
	sent      int
	retried   int // actions done again after "try again shortly"
}

var idRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*-\d{4}-\d{3}\b`)

func user(id int64) telegramtest.User {
	return telegramtest.User{ID: id, FirstName: fmt.Sprintf("U%d", id)}
}

func (d *driver) count() {
	d.mu.Lock()
	d.sent++
	d.mu.Unlock()
}

// reUnavailable is the bot's answer when it cannot reach Redis, in
// Vietnamese and English.
var reUnavailable = regexp.MustCompile(`thử lại sau ít phút|try again shortly`)

// step does act and waits for a new message in u's chat matching want;
// told that the bot cannot reach its store, it tries again shortly, as the
// answer asks.
func (d *driver) step(u telegramtest.User, act func(), want *regexp.Regexp) (telegramtest.Message, bool) {
	mark := len(d.srv.Messages(u.ID))
	act()
	d.count()
	deadline := time.Now().Add(d.wait)
	for time.Now().Before(deadline) {
		ms := d.srv.Messages(u.ID)
		for i := mark; i < len(ms); i++ {
			if want.MatchString(ms[i].Text) {
				return ms[i], true
			}
			if reUnavailable.MatchString(ms[i].Text) {
				d.mu.Lock()
				d.retried++
				d.mu.Unlock()
				time.Sleep(500 * time.Millisecond)
				mark = len(d.srv.Messages(u.ID))
				act()
				d.count()
				break
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	ms := d.srv.Messages(u.ID)
	var last []string
	for _, m := range ms[max(0, len(ms)-3):] {
		last = append(last, strconv.Quote(m.Text[:min(len(m.Text), 80)]))
	}
	d.t.Logf("user %d got no answer matching %q within %v; last messages: %s", u.ID, want, d.wait, strings.Join(last, " | "))
	d.mu.Lock()
	d.misses = append(d.misses, miss{user: u.ID, want: want, at: deadline.Add(-d.wait)})
	d.mu.Unlock()
	return telegramtest.Message{}, false
}

// miss is an answer a user waited for in vain: user's update sent at at.
type miss struct {
	user int64
	want *regexp.Regexp
	at   time.Time
}

// lateAnswers says, for each answer waited for in vain, whether it came
// later and when: late (a slow handling or delivery), or never.
func (d *driver) lateAnswers() []string {
	var out []string
	for _, m := range d.misses {
		chat := strconv.FormatInt(m.user, 10)
		var first time.Time
		for _, c := range append(d.srv.Calls("sendMessage"), d.srv.Calls("editMessageText")...) {
			if c.At.After(m.at) && (first.IsZero() || c.At.Before(first)) &&
				c.Params.Get("chat_id") == chat && m.want.MatchString(c.Params.Get("text")) {
				first = c.At
			}
		}
		came := "never came"
		if !first.IsZero() {
			came = fmt.Sprintf("came %.1fs after the update", first.Sub(m.at).Seconds())
		}
		out = append(out, fmt.Sprintf("user %d, %q: %s", m.user, m.want, came))
	}
	return out
}

func (d *driver) say(u telegramtest.User, text string, want *regexp.Regexp) (telegramtest.Message, bool) {
	return d.step(u, func() { d.srv.Text(telegramtest.Private(u), u, text) }, want)
}

// press presses the button labelled label under m.
func (d *driver) press(u telegramtest.User, m telegramtest.Message, label string, want *regexp.Regexp) (telegramtest.Message, bool) {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == label {
				return d.step(u, func() { d.srv.Press(telegramtest.Private(u), m.ID, u, b.Data) }, want)
			}
		}
	}
	var labels []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	d.t.Logf("user %d found no button %q under message %d %q; its buttons: %q", u.ID, label, m.ID, m.Text[:min(len(m.Text), 80)], labels)
	return telegramtest.Message{}, false
}

// giveUp leaves whatever dialog u was in, like a user who got no answer.
func (d *driver) giveUp(u telegramtest.User) {
	d.mu.Lock()
	d.abandoned++
	d.mu.Unlock()
	d.srv.Text(telegramtest.Private(u), u, "/cancel")
	time.Sleep(200 * time.Millisecond)
}

var (
	reAttest1  = regexp.MustCompile(`Constitution and the Party Charter`)
	reAttest2  = regexp.MustCompile(`personal or group interest`)
	reCheck    = regexp.MustCompile(`Please check your proposal`)
	reSubmit   = regexp.MustCompile(`Submitted to`)
	reDecided  = regexp.MustCompile(`approved for a pilot by|rejected your proposal`)
	reRecorded = regexp.MustCompile(`Recorded: `)
	reEndDate  = regexp.MustCompile(`Pilot end date`)
	reCadence  = regexp.MustCompile(`How often should the proposer report`)
	reConds    = regexp.MustCompile(`Any conditions`)
	reReason   = regexp.MustCompile(`Why is the proposal rejected`)
)

// cadre files n proposals, one message each, and reports on those approved.
func (d *driver) cadre(u telegramtest.User, n int, decidedWithin time.Duration) {
	d.say(u, "/lang en", regexp.MustCompile(`.`))
	for i := range n {
		text := fmt.Sprintf(`/propose
Title: Crash load %d-%d
Problem: Paper forms take three visits
Kind: unregulated
Solution: Accept scanned documents through the portal
Benefit: Citizens save two trips
Scope: One district, two staff
Risks: Forged scans; originals checked at hand-over
Duration: 6 months`, u.ID, i)
		m, ok := d.say(u, text, reAttest1)
		if ok {
			m, ok = d.press(u, m, "Yes, I confirm", reAttest2)
		}
		if ok {
			m, ok = d.press(u, m, "Yes, I confirm", reCheck)
		}
		if ok {
			m, ok = d.press(u, m, "Submit", reSubmit)
		}
		if !ok {
			d.giveUp(u)
			continue
		}
		id := idRE.FindString(m.Text)
		// Wait for the leader's decision, then report on an approved pilot.
		deadline := time.Now().Add(decidedWithin)
		approved := false
	wait:
		for time.Now().Before(deadline) {
			for _, m := range d.srv.Messages(u.ID) {
				if strings.Contains(m.Text, id) && reDecided.MatchString(m.Text) {
					approved = strings.Contains(m.Text, "approved for a pilot")
					break wait
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if approved {
			if _, ok := d.say(u, "/report "+id+" forty applications received online", reRecorded); !ok {
				d.giveUp(u)
			}
		}
	}
}

// leader decides on every proposal noticed to it: approves those with an
// even sequence number, rejects the others, until want decisions were
// attempted or the deadline passes.
func (d *driver) leader(u telegramtest.User, want int, deadline time.Time, cadresDone <-chan struct{}) {
	d.say(u, "/lang en", regexp.MustCompile(`.`))
	tries := map[string]int{}
	done := 0
	for done < want && time.Now().Before(deadline) {
		finished := false
		select {
		case <-cadresDone:
			finished = true
		default:
		}
		var notice *telegramtest.Message
		for _, m := range d.srv.Messages(u.ID) {
			id := idRE.FindString(m.Text)
			if id != "" && len(m.Keyboard) > 0 && strings.Contains(m.Text, "New proposal from") && tries[id] < 2 {
				notice = &m
				break
			}
		}
		if notice == nil {
			if finished {
				return // no cadre is waiting for a decision any more
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		id := idRE.FindString(notice.Text)
		tries[id]++
		if tries[id] == 2 {
			done++ // counted once, whatever the outcome
		}
		var ok bool
		if id[len(id)-1]%2 == 0 {
			var m telegramtest.Message
			m, ok = d.press(u, *notice, "Approve pilot", reEndDate)
			_ = m
			if ok {
				_, ok = d.say(u, time.Now().AddDate(0, 3, 0).Format("2006-01-02"), reCadence)
			}
			if ok {
				_, ok = d.say(u, "14", reConds)
			}
			if ok {
				_, ok = d.say(u, "Monthly review", reRecorded)
			}
		} else {
			_, ok = d.press(u, *notice, "Reject", reReason)
			if ok {
				_, ok = d.say(u, "Out of our remit", reRecorded)
			}
		}
		if ok {
			tries[id] = 2
			done++
		} else {
			d.giveUp(u)
		}
	}
}

// acks are the actions the bot acknowledged to a user, read from what the
// fake server received: id → action → times acknowledged.
func acks(srv *telegramtest.Server, chats []int64) map[string]map[string]int {
	out := map[string]map[string]int{}
	add := func(id, action string) {
		if out[id] == nil {
			out[id] = map[string]int{}
		}
		out[id][action]++
	}
	for _, c := range chats {
		for _, m := range srv.Messages(c) {
			id := idRE.FindString(m.Text)
			if id == "" {
				continue
			}
			switch {
			case reSubmit.MatchString(m.Text):
				add(id, "submit")
			case strings.Contains(m.Text, "Recorded: Approve pilot"):
				add(id, "approve_pilot")
			case strings.Contains(m.Text, "Recorded: Reject"):
				add(id, "reject")
			case strings.Contains(m.Text, "Recorded: Progress report"):
				add(id, "report")
			}
		}
	}
	return out
}

// duplicates counts messages that reached a chat more than once: the same
// text naming a proposal, twice in one chat (no step of the load makes the
// bot say the same thing about the same proposal twice).
func duplicates(srv *telegramtest.Server, chats []int64) int {
	n := 0
	for _, c := range chats {
		seen := map[string]bool{}
		for _, m := range srv.Messages(c) {
			if idRE.FindString(m.Text) == "" {
				continue
			}
			if seen[m.Text] {
				n++
			}
			seen[m.Text] = true
		}
	}
	return n
}

// checkAcked fails the test for any acknowledged action missing from export.
func checkAcked(t *testing.T, acked map[string]map[string]int, got []exportedProposal) (actions int) {
	t.Helper()
	byID := map[string]exportedProposal{}
	for _, p := range got {
		byID[p.ID] = p
	}
	for id, as := range acked {
		p, ok := byID[id]
		if !ok {
			t.Errorf("%s was acknowledged (%v) but is not in export", id, as)
			continue
		}
		have := map[string]int{}
		for _, ev := range p.Events {
			have[ev.Action]++
		}
		for a := range as {
			actions++
			if have[a] == 0 {
				t.Errorf("%s: %s was acknowledged but export has only %v", id, a, have)
			}
		}
	}
	return actions
}

// settleOutbox waits until `sangkien outbox` shows nothing waiting and
// nothing parked; claims of a killed serve hide messages for their 30 s lease.
// wrapUp ends a load test: the outbox drains, serve stops cleanly, verify
// passes, and every action acknowledged to a user is in the export. It
// returns the export (parsed and raw), the acknowledgements read from the
// fake server, and how many actions were checked.
func wrapUp(t *testing.T, sp *serveProc, srv *telegramtest.Server, chats []int64) ([]exportedProposal, string, map[string]map[string]int, int) {
	t.Helper()
	settleOutbox(t, sp, 60*time.Second)
	if code := sp.stop(); code != 0 {
		t.Errorf("serve exit %d after SIGTERM", code)
	}
	if code, out, errs := sp.run("verify"); code != 0 {
		t.Fatalf("verify exit %d\n%s\n%s", code, out, errs)
	}
	got, raw := sp.export()
	acked := acks(srv, chats)
	return got, raw, acked, checkAcked(t, acked, got)
}

func settleOutbox(t *testing.T, p *serveProc, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		w, parked, text := p.outboxDepth()
		if w == 0 && parked == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not empty within %v:\n%s", within, text)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// load starts every user of the load org and returns their chats and a
// channel closed when all of them are done.
func (d *driver) load(prof crashProfile) ([]int64, <-chan struct{}) {
	var chats []int64
	var wg, cadres sync.WaitGroup
	cadresDone := make(chan struct{})
	loadEnd := time.Now().Add(10 * time.Minute)
	for u := range prof.units {
		chats = append(chats, leaderID(u))
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.leader(user(leaderID(u)), prof.cadresPerUnit*prof.proposalsPerCadre, loadEnd, cadresDone)
		}()
		for c := range prof.cadresPerUnit {
			chats = append(chats, cadreID(u, c))
			wg.Add(1)
			cadres.Add(1)
			go func() {
				defer wg.Done()
				defer cadres.Done()
				d.cadre(user(cadreID(u, c)), prof.proposalsPerCadre, 2*d.wait)
			}()
		}
	}
	go func() { cadres.Wait(); close(cadresDone) }()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return chats, done
}

func TestCrashKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	prof, name := profile()
	rs := redistest.StartServer(t)
	url := rs.URL
	var proxy *faultproxy.Proxy
	if name == "long" { // Redis hangs too, behind the fault proxy
		proxy, _, _ = faultproxy.InFront(t, rs.URL)
		url = "redis://" + proxy.Addr() + "/0"
	}
	srv := telegramtest.New(t)
	bin := buildSangkien(t)
	orgPath := loadOrg(t, prof, "en")
	sp := newServeProc(t, bin, url, orgPath, srv.API())
	began := time.Now()
	sp.start()

	d := &driver{t: t, srv: srv, wait: 35 * time.Second}
	chats, loadDone := d.load(prof)
	faults := make(chan faultCounts, 1)
	if proxy != nil {
		go func() { faults <- inject(proxy, prof.hangs, loadDone) }()
	} else {
		faults <- faultCounts{}
	}

	// Kill serve at random moments while the load runs, restarting it each time.
	kills := 0
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 6))
	for kills < prof.kills && os.Getenv("SANGKIEN_CRASH_KILLS") != "0" {
		select {
		case <-loadDone:
		case <-time.After(time.Second + time.Duration(rng.Int64N(int64(prof.killEvery)))):
			sp.kill()
			kills++
			sp.start()
			continue
		}
		break
	}
	<-loadDone
	loadTime := time.Since(began)
	f := <-faults

	// Everything still queued is delivered by the last serve.
	got, _, acked, actions := wrapUp(t, sp, srv, chats)
	dups := duplicates(srv, chats)
	// At most the messages in flight at a kill repeat: 4 workers per serve.
	if dups > 4*kills {
		t.Errorf("%d duplicate messages after %d kills; at most %d can be in flight", dups, kills, 4*kills)
	}
	delivered := len(srv.Calls("sendMessage")) + len(srv.Calls("editMessageText"))
	for _, s := range twice(got, prof.proposalsPerCadre) {
		t.Errorf("handled twice: %s", s)
	}
	t.Logf("crash %s profile: %d proposals in export, %d acknowledged actions on %d proposals all in export, none twice; %d SIGKILLs survived; Redis faults: %v; %d updates sent, %d dialogs abandoned for lack of an answer; %d messages delivered, %d duplicates; verify ok; outbox empty; load %.1fs, total %.1fs",
		name, len(got), actions, len(acked), kills, f, d.sent, d.abandoned, delivered, dups, loadTime.Seconds(), time.Since(began).Seconds())
	if os.Getenv("SANGKIEN_CRASH_DEBUG") != "" {
		for _, c := range chats[:2] {
			for _, m := range srv.Messages(c) {
				t.Logf("%d: %q", c, m.Text)
			}
		}
		b, _ := os.ReadFile(sp.logs)
		t.Logf("serve logs:\n%s", b)
	}
	if len(acked) == 0 {
		t.Fatal("no action was acknowledged: the load did not run")
	}
}
