package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/xuri/excelize/v2"

	"github.com/sangkien/sangkien/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// script is the README's console walkthrough: a cadre files a proposal in
// one message, the leader approves it, the cadre reports, the leader
// completes it, and the cadre shows the protection record.
const script = `/lang en
/propose \
Title: Online land registration\
Problem: Registration needs three paper visits\
Kind: unregulated\
Solution: Accept scanned documents through the provincial portal\
Benefit: Citizens save two trips\
Scope: One district, two staff\
Risks: Forged scans; originals checked at hand-over\
Duration: 6 months
1
1
1
/as console:giamdoc
/lang en
/pending
1
2027-06-30
-
Monthly review with the committee
/as console:an
/report TNMT-2026-001 40 applications received online
/as console:giamdoc
/show TNMT-2026-001
5
1
Scans work; keep the originals check
1
/as console:an
/certificate TNMT-2026-001
`

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, envv map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, func(k string) string { return envv[k] })
	return result{code, out.String(), errb.String()}
}

func redisEnv(t *testing.T) (map[string]string, redis.UniversalClient) {
	rdb := redistest.Client(t)
	// Any free port for the operations endpoints: tests run serves side by
	// side. The data directory takes the files the console writes (a
	// record's PDF).
	return map[string]string{"SANGKIEN_REDIS_URL": redistest.URL(), "SANGKIEN_ORG": "", "SANGKIEN_OPS_ADDR": "127.0.0.1:0", "SANGKIEN_DATA_DIR": t.TempDir()}, rdb
}

func TestScriptedConsoleSessionThenExportAndVerify(t *testing.T) {
	env, _ := redisEnv(t)
	r := runCmd(t, env, script, "console")
	if r.code != 0 {
		t.Fatalf("console exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Submitted to Lê Thị Giám",
		"approved for a pilot by Lê Thị Giám",
		"── gửi console:#tnmt ──",
		"marked the pilot completed",
		"PROTECTION RECORD",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("transcript lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "store: redis") {
		t.Errorf("first log line should name the store:\n%s", r.stderr)
	}

	r = runCmd(t, env, "", "export", "--format", "json")
	if r.code != 0 {
		t.Fatalf("export exit %d: %s", r.code, r.stderr)
	}
	var got []struct {
		ID, Unit, Title, Status, Proposer string
		Fields                            map[string]string
		Events                            []struct {
			Seq                                         int
			At, Actor, Action, From, To, PrevHash, Hash string
			Data                                        map[string]string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, r.stdout)
	}
	if len(got) != 1 || got[0].ID != "TNMT-2026-001" || got[0].Status != "completed" || got[0].Proposer != "console:an" {
		t.Fatalf("export: %+v", got)
	}
	var actions []string
	for _, ev := range got[0].Events {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "submit,approve_pilot,report,complete" {
		t.Errorf("actions %v", actions)
	}

	r = runCmd(t, env, "", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "ok: 1 proposal") {
		t.Fatalf("verify exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, env, "", "export", "--format", "xlsx")
	if r.code != 0 {
		t.Fatalf("xlsx: %d %s", r.code, r.stderr)
	}
	book, err := excelize.OpenReader(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := book.GetCellValue("proposals", "D2"); v != "completed" {
		t.Errorf("xlsx proposals!D2 = %q", v)
	}
	if rows, _ := book.GetRows("events"); len(rows) != 5 {
		t.Errorf("xlsx events: %d rows, want header + 4", len(rows))
	}
	r = runCmd(t, env, "", "export", "--format", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "id,unit,title,status") || !strings.Contains(r.stdout, "TNMT-2026-001,so-tnmt,Online land registration,completed") {
		t.Fatalf("csv: %d %s", r.code, r.stdout)
	}
}

func TestVerifyNamesTheFirstBreak(t *testing.T) {
	ctx := context.Background()
	tamper := []struct {
		name string
		do   func(rdb redis.UniversalClient, rec, evs string) error
		want string
	}{
		{"an edited event", func(rdb redis.UniversalClient, rec, evs string) error {
			ev, err := rdb.LIndex(ctx, evs, 1).Result()
			if err != nil {
				return err
			}
			return rdb.LSet(ctx, evs, 1, strings.Replace(ev, "Monthly review", "No review", 1)).Err()
		}, "TNMT-2026-001: event 2: hash does not match"},
		{"a deleted event", func(rdb redis.UniversalClient, rec, evs string) error {
			ev, err := rdb.LIndex(ctx, evs, 2).Result()
			if err != nil {
				return err
			}
			return rdb.LRem(ctx, evs, 1, ev).Err()
		}, "TNMT-2026-001: event 3: sequence number is 4, want 3"},
		{"an edited record", func(rdb redis.UniversalClient, rec, evs string) error {
			b, err := rdb.Get(ctx, rec).Result()
			if err != nil {
				return err
			}
			return rdb.Set(ctx, rec, strings.Replace(b, `"status":"completed"`, `"status":"piloting"`, 1), 0).Err()
		}, "TNMT-2026-001: stored record differs from its events"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			env, rdb := redisEnv(t)
			if r := runCmd(t, env, script, "console"); r.code != 0 {
				t.Fatal(r.stderr)
			}
			// Tests may look keys up by pattern; the bot itself never does.
			keys, err := rdb.Keys(ctx, "*TNMT-2026-001*").Result()
			if err != nil {
				t.Fatal(err)
			}
			var rec, evs string
			for _, k := range keys {
				switch typ := rdb.Type(ctx, k).Val(); typ {
				case "list":
					evs = k
				case "string":
					rec = k
				}
			}
			if err := tc.do(rdb, rec, evs); err != nil {
				t.Fatal(err)
			}
			r := runCmd(t, env, "", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("verify exit %d, want 1 and %q:\n%s%s", r.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

func TestEmbeddedStoreKeepsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SANGKIEN_DATA_DIR": dir}
	r := runCmd(t, env, script, "console")
	if r.code != 0 || !strings.Contains(r.stderr, "store: embedded") || !strings.Contains(r.stderr, dir) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "sangkien.aof")); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, env, "/lang en\n/mine\n", "console")
	if !strings.Contains(r.stdout, "TNMT-2026-001 Online land registration — completed") {
		t.Fatalf("after restart:\n%s", r.stdout)
	}
	if r := runCmd(t, env, "", "verify"); r.code != 0 {
		t.Fatalf("verify after restart: %s", r.stdout)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join("..", "..", "org", "example.yaml")
	if r := runCmd(t, map[string]string{"SANGKIEN_ORG": good}, "", "config", "check"); r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Fatalf("good file: %d %s %s", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nunits:\n  - id: a\n    code: bad code\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, map[string]string{"SANGKIEN_ORG": bad}, "", "config", "check")
	if r.code != 1 || !strings.Contains(r.stderr, bad+":4:") {
		t.Fatalf("bad file: %d %s", r.code, r.stderr)
	}
}

func TestUsage(t *testing.T) {
	if r := runCmd(t, nil, "", "frob"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "sangkien ") {
		t.Fatalf("%d %s", r.code, r.stdout)
	}
}
