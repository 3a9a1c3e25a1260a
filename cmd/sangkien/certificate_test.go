package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// issueCertificate runs the README's walkthrough and then asks for the
// record in Vietnamese; it returns the environment, the Redis client and
// the path of the PDF the console wrote.
func issueCertificate(t *testing.T, extra map[string]string) (map[string]string, redis.UniversalClient, string) {
	t.Helper()
	env, rdb := redisEnv(t)
	env["SANGKIEN_PUBLIC_URL"] = "https://sangkien.example.vn"
	for k, v := range extra {
		env[k] = v
	}
	r := runCmd(t, env, script+"/lang vi\n/certificate TNMT-2026-001\n", "console")
	if r.code != 0 {
		t.Fatalf("console exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	m := regexp.MustCompile(`tệp đã lưu: (\S+\.pdf), (\d+) byte`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("the console printed no PDF path:\n%s", r.stdout)
	}
	t.Logf("PDF %s bytes", m[2])
	return env, rdb, m[1]
}

func TestCertificatePDFOfACompletedPilot(t *testing.T) {
	env, _, path := issueCertificate(t, nil)
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	exp := runCmd(t, env, "", "export", "--format", "json")
	head := regexp.MustCompile(`"hash": ?"([0-9a-f]{64})"`).FindAllStringSubmatch(exp.stdout, -1)
	if len(head) == 0 {
		t.Fatalf("no hash in the export:\n%s", exp.stdout)
	}
	for _, want := range []string{"ĐẢNG CỘNG SẢN VIỆT NAM", "HỒ SƠ LÀM CĂN CỨ BẢO VỆ CÁN BỘ", "TNMT-2026-001",
		"Nguyễn Văn An", "Lê Thị Giám", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "Phê duyệt thí điểm", "Kết thúc, đánh giá thí điểm",
		head[len(head)-1][1], "Trang 1/"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if len(pdf) > 300<<10 {
		t.Errorf("PDF of %d bytes: too big to keep in the outbox", len(pdf))
	}
}

func TestVerifyCertificate(t *testing.T) {
	ctx := context.Background()
	env, rdb, path := issueCertificate(t, nil)
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := runCmd(t, env, "", "key")
	pub := regexp.MustCompile(`public key:\s+(\S+)`).FindStringSubmatch(key.stdout)
	if key.code != 0 || pub == nil || !strings.Contains(key.stdout, "fingerprint: SHA256:") {
		t.Fatalf("sangkien key: %d\n%s\n%s", key.code, key.stdout, key.stderr)
	}

	t.Run("genuine and matching, with the store's key", func(t *testing.T) {
		r := runCmd(t, env, "", "verify-certificate", path)
		if r.code != 0 || !strings.Contains(r.stdout, "là bản thật") || !strings.Contains(r.stdout, "vẫn khớp") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("genuine offline, with --key, in English", func(t *testing.T) {
		r := runCmd(t, nil, "", "verify-certificate", path, "--key", pub[1], "--offline", "--lang", "en")
		if r.code != 0 || !strings.Contains(r.stdout, "is genuine") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("a changed byte in the statement is not genuine", func(t *testing.T) {
		i := bytes.Index(pdf, []byte("/Keywords (SK1.")) + len("/Keywords (SK1.") + 30
		bad := bytes.Clone(pdf)
		bad[i] ^= 1
		f := filepath.Join(t.TempDir(), "bad.pdf")
		if err := os.WriteFile(f, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, env, "", "verify-certificate", f)
		if r.code != 1 || !strings.Contains(r.stdout, "không phải bản thật") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("a rotated key says not genuine", func(t *testing.T) {
		seed := sha256.Sum256([]byte("another key"))
		other := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		r := runCmd(t, env, "", "verify-certificate", "--key", base64.StdEncoding.EncodeToString(other), path)
		if r.code != 1 || !strings.Contains(r.stdout, "không phải bản thật") || !strings.Contains(r.stdout, "khóa công khai") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("an event changed in the store after issue is named", func(t *testing.T) {
		// Tests may look keys up by pattern; the bot itself never does.
		keys, err := rdb.Keys(ctx, "*TNMT-2026-001:ev").Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("events key: %v %v", keys, err)
		}
		ev, err := rdb.LIndex(ctx, keys[0], 1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.LSet(ctx, keys[0], 1, strings.Replace(ev, "Monthly review", "No review", 1)).Err(); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, env, "", "verify-certificate", path)
		if r.code != 1 || !strings.Contains(r.stdout, "đã bị thay đổi sau khi cấp: bước 2 ") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
