package console_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/console"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/schedules"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

// TestGoldenTranscripts plays a proposal's whole life on the console, in
// Vietnamese and in English, on the demo org and a fake clock, and compares
// everything printed with testdata/lifecycle.LANG.golden. The transcripts
// are meant to be read: a wording change shows as a diff in review. After
// a deliberate change, rewrite them with
//
//	go test ./adapters/console -run TestGoldenTranscripts -update
//
// and read the diff before committing it.
//
// A script (testdata/lifecycle.LANG.script) is what people type, one line
// each, as on `sangkien console`: "/as WHO" switches who types, a number
// presses the button it names. Lines starting with "~" drive the world:
// "~ advance 7d" moves the clock, "~ job NAME" runs a scheduled job now.
func TestGoldenTranscripts(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			got := playScript(t, lang, filepath.Join("testdata", "lifecycle."+lang+".script"))
			golden := filepath.Join("testdata", "lifecycle."+lang+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("the %s transcript changed; if on purpose, rerun with -update and read the diff.\n%s", lang, firstDifference(string(want), got))
			}
			for _, bad := range []string{"[unit.", "[err.", "%!", "<nil>", "0001-01-01", "{{"} {
				if strings.Contains(got, bad) {
					t.Errorf("the %s transcript shows %q", lang, bad)
				}
			}
		})
	}
}

func playScript(t *testing.T, lang, path string) string {
	t.Helper()
	h := bottest.New(t, nil)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	ad := &console.Adapter{Engine: h.Engine, Out: &out, As: bottest.Cadre, Lang: lang}
	d := &bot.Deliverer{Outbox: h.Store, Senders: map[string]bot.Sender{"console": ad}, Clock: h.Clock, Workers: 1, Org: h.Org, Contacts: h.Store}
	ad.Flush = func(ctx context.Context) error {
		for {
			n, err := d.Drain(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
	}
	ctx := context.Background()
	var typed []string
	play := func() {
		if len(typed) == 0 {
			return
		}
		ad.In = strings.NewReader(strings.Join(typed, "\n") + "\n")
		typed = typed[:0]
		if err := ad.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		directive, ok := strings.CutPrefix(line, "~ ")
		if !ok {
			if line != "" && !strings.HasPrefix(line, "#") {
				typed = append(typed, line)
			}
			continue
		}
		play()
		out.WriteString("~ " + directive + "\n")
		verb, arg, _ := strings.Cut(directive, " ")
		switch verb {
		case "advance":
			days, err := time.ParseDuration(strings.TrimSuffix(arg, "d") + "h")
			if err != nil || !strings.HasSuffix(arg, "d") {
				t.Fatalf("%s:%d: want ~ advance Nd", path, n)
			}
			h.Clock.Advance(days * 24)
		case "job":
			r := &schedules.Runner{Engine: h.Engine, Store: h.Store}
			if _, err := r.Run(ctx, schedules.Firing{Job: arg, At: h.Clock.Now(), Manual: true}); err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			if err := ad.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s:%d: unknown directive %q", path, n, directive)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	play()
	return out.String()
}

// firstDifference shows the first line where want and got part, with a
// little context, so a failure reads without a diff tool.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			from := max(0, i-3)
			ctx := strings.Join(g[from:i], "\n")
			return "line " + strconv.Itoa(i+1) + ", after:\n" + ctx + "\nwant: " + wl + "\ngot:  " + gl
		}
	}
	return ""
}
