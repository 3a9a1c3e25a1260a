package certificate_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/certificate"
)

func testKey(s string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(s))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func sample() certificate.Statement {
	h := sha256.Sum256([]byte("head"))
	return certificate.Statement{ID: "TNMT-2026-001", Unit: "so-tnmt", Proposer: "Nguyễn Thị Ngọc Hường",
		Seq: 7, Head: hex.EncodeToString(h[:]), IssuedAt: 1772677800, Protected: true}
}

func TestStatementEncodingIsPinned(t *testing.T) {
	s, err := certificate.Sign(sample(), testKey("sangkien test key"))
	if err != nil {
		t.Fatal(err)
	}
	// Ed25519 signatures are deterministic (RFC 8032): the whole string is
	// fixed by the key and the statement. A change here breaks every
	// record already printed.
	const golden = "SK1.eyJpZCI6IlROTVQtMjAyNi0wMDEiLCJ1Ijoic28tdG5tdCIsInAiOiJOZ3V54buFbiBUaOG7iyBOZ-G7jWMgSMaw4budbmciLCJzIjo3LCJoIjoiOWYyZTZkMzNhMzcxN2VlODI2MzUzYTQwNGJhNDYxOGQxYWVlYjY4NzlhZDc5MzZiY2U4ZWQ1ZjQ2ODE0OTI0ZCIsInQiOjE3NzI2Nzc4MDAsInByIjp0cnVlfQ.MQJb8IeMKV6zAMYWqw9aKBXX2u9chhRsBAj3T4migT-LWN2KKMK12DOP0LOmN0uI7cNTjIc4XcdXKjfzknKaDQ"
	if s != golden {
		t.Errorf("statement changed:\n got %s\nwant %s", s, golden)
	}
}

func TestSignParseRoundTrip(t *testing.T) {
	k := testKey("k1")
	s, err := certificate.Sign(sample(), k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := certificate.Parse(s, pub(k))
	if err != nil || got != sample() {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, sample())
	}
	t.Run("a changed character is not genuine", func(t *testing.T) {
		b := []byte(s)
		i := len("SK1.") + 20
		b[i] ^= 1
		if _, err := certificate.Parse(string(b), pub(k)); !errors.Is(err, certificate.ErrNotGenuine) {
			t.Fatalf("tampered statement: %v", err)
		}
	})
	t.Run("another key is not genuine", func(t *testing.T) {
		_, err := certificate.Parse(s, pub(testKey("k2")))
		if !errors.Is(err, certificate.ErrNotGenuine) || !strings.Contains(err.Error(), certificate.Fingerprint(pub(testKey("k2")))) {
			t.Fatalf("other key: %v", err)
		}
	})
	t.Run("a decomposed name is signed composed", func(t *testing.T) {
		st := sample()
		st.Proposer = "Nguye\u0302\u0303n" // NFD
		s, _ := certificate.Sign(st, k)
		got, _ := certificate.Parse(s, pub(k))
		if got.Proposer != "Nguyễn" {
			t.Fatalf("proposer %q", got.Proposer)
		}
	})
}

func doc() *bot.CertificateDoc {
	st := sample()
	return &bot.CertificateDoc{
		ID: st.ID, Unit: st.Unit, Proposer: st.Proposer, Seq: st.Seq, Head: st.Head,
		Issued: time.Unix(st.IssuedAt, 0), Protected: true, Lang: "vi",
		Parent: "Tỉnh ủy", Committee: "Sở Tài nguyên và Môi trường", Party: "ĐẢNG CỘNG SẢN VIỆT NAM",
		Dated: "Tỉnh Demo, ngày 5 tháng 3 năm 2026", Title: "HỒ SƠ LÀM CĂN CỨ BẢO VỆ CÁN BỘ",
		Subtitle: "(theo Kết luận số 14-KL/TW của Bộ Chính trị)",
		Fields:   []bot.CertificateField{{Label: "Mã đề xuất", Value: st.ID}, {Label: "Người đề xuất", Value: st.Proposer}},
		Columns:  [5]string{"#", "Thời gian", "Người thực hiện", "Nội dung", "Gửi tới"},
		Rows: []bot.CertificateRow{
			{Seq: 1, When: "09:00 04/03/2026", Who: st.Proposer, What: "Báo cáo người đứng đầu cấp ủy", To: "Lê Thị Giám"},
			{Seq: 2, When: "10:00 04/03/2026", Who: "Lê Thị Giám", What: "Phê duyệt thí điểm: Ỹ ỵ ử ữ", To: st.Proposer},
		},
		HeadLabel: "Mã xác thực hồ sơ (sau 7 bước):", SignLabel: "Xác nhận có chữ ký số của hệ thống:",
		VerifyHint: "Quét mã QR để kiểm tra.", Page: "Trang", Keywords: "HỒ SƠ LÀM CĂN CỨ BẢO VỆ CÁN BỘ",
	}
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	f := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestPDFCarriesTheRecord(t *testing.T) {
	iss := &certificate.Issuer{Key: testKey("k1"), PublicURL: "https://sangkien.example.vn/"}
	d := doc()
	d.Proposer = "Nguye\u0302\u0303n Thị Ngọc Hường" // NFD in, NFC drawn
	d.Rows[0].Who = d.Proposer
	pdf, st, err := iss.Certify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PDF %d bytes, statement %d characters", len(pdf), len(st))
	text := pdftotext(t, pdf)
	for _, want := range []string{"ĐẢNG CỘNG SẢN VIỆT NAM", "HỒ SƠ LÀM CĂN CỨ BẢO VỆ CÁN BỘ", "TNMT-2026-001",
		"Nguyễn Thị Ngọc Hường", "Lê Thị Giám", "Phê duyệt thí điểm: Ỹ ỵ ử ữ", d.Head, "Trang 1/1"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
	got, err := certificate.Extract(pdf)
	if err != nil || got != st {
		t.Fatalf("Extract = %q, %v; want %q", got, err, st)
	}
	again, _, err := iss.Certify(context.Background(), d)
	if err != nil || !bytes.Equal(again, pdf) {
		t.Errorf("two renderings of one record differ (%v)", err)
	}
}

func TestCheck(t *testing.T) {
	k := testKey("k1")
	iss := &certificate.Issuer{Key: k, PublicURL: "https://sangkien.example.vn"}
	pdf, st, err := iss.Certify(context.Background(), doc())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   []byte
		key  ed25519.PublicKey
		want certificate.Result
	}{
		{"the PDF", pdf, pub(k), certificate.Genuine},
		{"the verification URL", []byte(certificate.VerifyURL(iss.PublicURL, st)), pub(k), certificate.Genuine},
		{"the bare statement", []byte(st + "\n"), pub(k), certificate.Genuine},
		{"a changed byte in the PDF's statement", bytes.Replace(pdf, []byte(st[:40]), []byte(st[:39]+"x"), 1), pub(k), certificate.NotGenuine},
		{"a rotated key", pdf, pub(testKey("k2")), certificate.NotGenuine},
		{"a PDF not ours", []byte("%PDF-1.4\n1 0 obj << /Title (x) >>"), pub(k), certificate.NoStatement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := certificate.Check(ctx, tc.in, tc.key, nil)
			if err != nil || v.Result != tc.want {
				t.Fatalf("Check = %+v, %v; want result %d", v, err, tc.want)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	k := testKey("k1")
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{
		"PEM PKCS #8":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"base64 seed":    []byte(base64.StdEncoding.EncodeToString(k.Seed()) + "\n"),
		"base64 64-byte": []byte(base64.StdEncoding.EncodeToString(k)),
	} {
		got, err := certificate.ParseKey(file)
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := certificate.ParseKey([]byte("not a key")); err == nil {
		t.Error("garbage accepted as a key")
	}
}

type history []bot.Event

func (h history) Events(context.Context, string) ([]bot.Event, error) { return h, nil }

// chain builds n hashed events.
func chain(n int, note string) history {
	var h history
	prev := ""
	for i := 1; i <= n; i++ {
		ev := bot.Event{Seq: i, At: time.Unix(1772677800+int64(i), 0).UTC(), Actor: "console:an", Action: bot.Report,
			From: bot.Piloting, To: bot.Piloting, Data: map[string]string{"text": note}, PrevHash: prev}
		ev.Hash = bot.HashEvent(ev)
		prev = ev.Hash
		h = append(h, ev)
	}
	return h
}

func TestVerifierAgainstTheStoredHistory(t *testing.T) {
	ctx := context.Background()
	cat, err := bot.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	k := testKey("k1")
	issued := chain(3, "40 applications")
	d := doc()
	d.Seq, d.Head = 3, issued[2].Hash
	_, st, err := (&certificate.Issuer{Key: k}).Certify(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	edited := chain(5, "40 applications")
	edited[1].Data = map[string]string{"text": "4 applications"}
	for _, tc := range []struct {
		name string
		h    history
		want certificate.Result
		text string
	}{
		{"unchanged, two events later", chain(5, "40 applications"), certificate.Genuine, "still matches the stored record (step 3, issued 2026-03-05 02:30). The record attests grounds for protecting the cadre.\nSteps recorded since it was issued: 2."},
		{"an event edited in place", edited, certificate.Changed, "changed after it was issued: step 2 is no longer"},
		{"the whole history rewritten", chain(3, "4 applications"), certificate.Changed, "step 3 is no longer"},
		{"an event removed", chain(2, "40 applications"), certificate.Changed, "step 3 is no longer"},
		{"no history at all", nil, certificate.Changed, "no longer holds this proposal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vf := &certificate.Verifier{Key: pub(k), History: tc.h, Catalog: cat}
			v, text, err := vf.Verify(ctx, []byte(st), "en")
			text = strings.ReplaceAll(text, "\n", " ")
			if err != nil || v.Result != tc.want || !strings.Contains(text, strings.ReplaceAll(tc.text, "\n", " ")) {
				t.Fatalf("Verify = %+v, %q, %v; want result %d and %q", v, text, err, tc.want, tc.text)
			}
		})
	}
}
