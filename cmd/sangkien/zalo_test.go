package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/zalo/zalotest"
)

const zaloOrg = `
name: "Tỉnh Zalo"
timezone: Asia/Ho_Chi_Minh
language: en
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["zalo:800"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["zalo:900"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["zalo:100"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu]}
  - {id: so-tnmt, code: TNMT, name: "Sở Tài nguyên và Môi trường", parent: tinh-uy, leaders: [giam-doc], members: [can-bo-an], channels: ["console:#tnmt"]}
`

// serve with the Zalo variables mounts /zalo/webhook, seeds the token pair
// from SANGKIEN_ZALO_REFRESH_TOKEN, and runs the whole lifecycle through a
// fake Zalo: a proposal filed, attested and submitted by buttons, approved,
// reported on, completed, and its certificate shown. No secret or token
// reaches the logs. A second start uses the rotated token from Redis.
func TestServeRunsZalo(t *testing.T) {
	srv := zalotest.New(t)
	env, _ := redisEnv(t)
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(zaloOrg), 0o600); err != nil {
		t.Fatal(err)
	}
	seed := srv.Authorize()
	env["SANGKIEN_ORG"] = path
	env["SANGKIEN_ZALO_APP_ID"] = zalotest.AppID
	env["SANGKIEN_ZALO_APP_SECRET"] = zalotest.AppSecret
	env["SANGKIEN_ZALO_OA_SECRET"] = zalotest.OASecret
	env["SANGKIEN_ZALO_REFRESH_TOKEN"] = seed
	env["SANGKIEN_ZALO_API"] = srv.API()
	env["SANGKIEN_ZALO_OAUTH"] = srv.OAuth()

	for run := 1; run <= 2; run++ {
		t.Run(fmt.Sprint("run ", run), func(t *testing.T) { serveZaloLifecycle(t, srv, env, run) })
	}
	// One at the first start, one for each run's expired token: the second
	// start used the stored token (presenting the spent seed again would
	// have failed the test in the fake).
	if got := srv.Refreshes(); got != 3 {
		t.Errorf("%d refreshes over two runs, want 3", got)
	}
}

// serveZaloLifecycle runs serve on env and the whole lifecycle through srv.
func serveZaloLifecycle(t *testing.T, srv *zalotest.Server, env map[string]string, run int) {
	{
		base, fp, logs, stop := startServe(t, env)
		srv.SetWebhook(base + "/zalo/webhook")
		const cadre, leader = "100", "900"
		n := map[string]int{cadre: len(srv.Messages(cadre)), leader: len(srv.Messages(leader))}
		// waitFor waits for a message to user that holds want.
		waitFor := func(user, want string) {
			t.Helper()
			zalotest.Eventually(t, 30*time.Second, user+" told "+want, func() bool {
				for _, m := range srv.Messages(user)[n[user]:] {
					if strings.Contains(m.Text, want) {
						return true
					}
				}
				return false
			})
			n[user] = len(srv.Messages(user))
		}
		srv.Follow(cadre)
		srv.Follow(leader)
		waitFor(cadre, "only within 7 days")
		srv.Text(cadre, "propose\nTitle: Online land registration\nProblem: Three paper visits\nKind: unregulated\nSolution: Scans through the portal\nBenefit: Two trips saved\nScope: One district\nRisks: Forged scans; originals checked\nDuration: 6 months")
		waitFor(cadre, "Constitution and the Party Charter")
		srv.Press(cadre, "Yes, I confirm")
		waitFor(cadre, "common good")
		srv.Press(cadre, "Yes, I confirm")
		waitFor(cadre, "Please check your proposal")
		srv.Press(cadre, "Submit")
		waitFor(cadre, "Submitted to Lê Thị Giám")
		id := idRE.FindString(srv.Messages(cadre)[n[cadre]-1].Text)
		waitFor(leader, "New proposal from Nguyễn Văn An")
		srv.Press(leader, "Approve pilot")
		waitFor(leader, "Pilot end date?")
		srv.Text(leader, time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
		waitFor(leader, "report")
		srv.Text(leader, "14")
		waitFor(leader, "conditions")
		srv.Text(leader, "Monthly review")
		waitFor(cadre, "approved for a pilot by Lê Thị Giám")
		srv.Text(cadre, "report "+id+" 40 applications received online")
		waitFor(leader, "Progress report from Nguyễn Văn An")
		srv.Press(leader, "Complete")
		waitFor(leader, "Outcome")
		srv.Text(leader, "achieved")
		waitFor(leader, "Lessons")
		srv.Text(leader, "Scans work")
		waitFor(leader, "wider adoption")
		srv.Text(leader, "yes")
		waitFor(cadre, "completed")
		srv.Text(cadre, "certificate "+id)
		waitFor(cadre, "PROTECTION RECORD")
		zalotest.Eventually(t, 30*time.Second, "the unit's channel told", func() bool {
			fp.mu.Lock()
			defer fp.mu.Unlock()
			return len(fp.sent) > 0
		})

		srv.ExpireAccess() // a refresh in the middle of the run
		srv.Text(cadre, "mine")
		waitFor(cadre, id)
		if code := stop(); code != 0 {
			t.Fatalf("serve exit %d:\n%s", code, logs.String())
		}
		for _, secret := range []string{"AT-", "RT-", zalotest.AppSecret, zalotest.OASecret} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("run %d: %q reached the logs:\n%s", run, secret, logs.String())
			}
		}
		if !strings.Contains(logs.String(), "zalo: webhook") {
			t.Errorf("run %d: no zalo start in the logs:\n%s", run, logs.String())
		}
	}
}

// The Zalo variables go together: serve and config check say which is
// missing, or wrong.
func TestZaloVariablesGoTogether(t *testing.T) {
	env, _ := redisEnv(t)
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(zaloOrg), 0o600); err != nil {
		t.Fatal(err)
	}
	env["SANGKIEN_ORG"] = path
	env["SANGKIEN_ZALO_REFRESH_TOKEN"] = "rt"
	env["SANGKIEN_ZALO_APP_ID"] = "app-1"
	env["SANGKIEN_ZALO_OAUTH"] = "oauth.zaloapp.com"
	for _, args := range [][]string{{"config", "check"}, {"serve"}} {
		r := runCmd(t, env, "", args...)
		if r.code == 0 {
			t.Fatalf("%v exit 0", args)
		}
		for _, want := range []string{"SANGKIEN_ZALO_APP_SECRET is not set", "SANGKIEN_ZALO_OA_SECRET is not set", "SANGKIEN_ZALO_APP_ID must be", "SANGKIEN_ZALO_OAUTH"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: want %q in:\n%s", args, want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "rt\n") || strings.Contains(r.stderr, `"rt"`) {
			t.Errorf("%v: the refresh token reached stderr", args)
		}
	}
}

// config check warns when Zalo is set up without a public HTTPS address,
// where its webhook and its users' links must point.
func TestConfigCheckWarnsOfZaloWithoutHTTPS(t *testing.T) {
	env, _ := redisEnv(t)
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(zaloOrg), 0o600); err != nil {
		t.Fatal(err)
	}
	env["SANGKIEN_ORG"] = path
	env["SANGKIEN_ZALO_APP_ID"], env["SANGKIEN_ZALO_APP_SECRET"], env["SANGKIEN_ZALO_OA_SECRET"] = "1234567890", "app-secret", "oa-secret"
	for url, warns := range map[string]bool{"": true, "http://bot.example.org": true, "https://bot.example.org": false} {
		env["SANGKIEN_PUBLIC_URL"] = url
		r := runCmd(t, env, "", "config", "check")
		if r.code != 0 {
			t.Fatalf("public URL %q: exit %d\n%s", url, r.code, r.stderr)
		}
		if got := strings.Contains(r.stdout, "warning: Zalo is configured but SANGKIEN_PUBLIC_URL is not an https:// address"); got != warns {
			t.Errorf("public URL %q: warned %v, want %v:\n%s", url, got, warns, r.stdout)
		}
	}
}
