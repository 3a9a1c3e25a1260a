package bot_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// errKey is the catalog key of a refusal, "" for nil.
func errKey(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *bot.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a domain error: %v", err)
	}
	if bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("%v: code %v, want invalid", err, bot.ErrorCode(err))
	}
	return e.Key
}

func TestParseDateReadsDatesAsVietnameseWriteThem(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"30/06/2027", "2027-06-30", ""},
		{"30/6/2027", "2027-06-30", ""},
		{"30/6/27", "2027-06-30", ""},
		{"30-06-2027", "2027-06-30", ""},
		{"30.06.2027", "2027-06-30", ""},
		{"2027-06-30", "2027-06-30", ""},
		{"2027/6/30", "2027-06-30", ""},
		{" 30 / 06 / 2027 ", "2027-06-30", ""},
		{"ngày 30 tháng 6 năm 2027", "2027-06-30", ""},
		{"Ngày 30 tháng 06 năm 2027", "2027-06-30", ""},
		{"ngay 30 thang 6 nam 2027", "2027-06-30", ""},
		{"30 tháng 6, năm 2027", "2027-06-30", ""},
		{"ngày 30 tha\u0301ng 6 năm 2027", "2027-06-30", ""}, // NFD
		{"29/02/2028", "2028-02-29", ""},                     // a leap year
		{"31/02/2027", "", "err.date_nonexistent"},
		{"29/02/2027", "", "err.date_nonexistent"},
		{"31/04/2027", "", "err.date_nonexistent"},
		{"32/01/2027", "", "err.date_nonexistent"},
		{"30/13/2027", "", "err.date_nonexistent"},
		{"00/06/2027", "", "err.date_nonexistent"},
		{"2027-02-30", "", "err.date_nonexistent"},
		{"ngày 31 tháng 2 năm 2027", "", "err.date_nonexistent"},
		{"tomorrow", "", "err.date"},
		{"30/06", "", "err.date"},
		{"06/30/2027/1", "", "err.date"},
		{"", "", "err.date"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := bot.ParseDate(tc.in)
			if k := errKey(t, err); k != tc.err || got != tc.want {
				t.Errorf("ParseDate(%q) = %q, %q; want %q, %q", tc.in, got, k, tc.want, tc.err)
			}
		})
	}
}

func TestParseCadenceReadsEveryWayOfSayingIt(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"14", 14 * day, ""},
		{"14 ngày", 14 * day, ""},
		{"14 ngay", 14 * day, ""},
		{"14 ngày/lần", 14 * day, ""},
		{"mỗi 14 ngày", 14 * day, ""},
		{"2 tuần", 14 * day, ""},
		{"2 TUẦN", 14 * day, ""},
		{"1 tháng", 30 * day, ""},
		{"hằng tháng", 30 * day, ""},
		{"hàng tháng", 30 * day, ""},
		{"hằng tuần", 7 * day, ""},
		{"hàng tuần", 7 * day, ""},
		{"hang tuan", 7 * day, ""},
		{"14d", 14 * day, ""},
		{"336h", 14 * day, ""},
		{"336h0m0s", 14 * day, ""}, // as stored
		{"48 giờ", 2 * day, ""},
		{"2 weeks", 14 * day, ""},
		{"1 week", 7 * day, ""},
		{"monthly", 30 * day, ""},
		{"weekly", 7 * day, ""},
		{"every 10 days", 10 * day, ""},
		{"366", 366 * day, ""},
		{"1", day, ""},
		// Not whole days: refused, never shown rounded (36 h is not "1 day").
		{"36h", 0, "err.cadence_whole_days"},
		{"1h", 0, "err.cadence_whole_days"},
		{"36 giờ", 0, "err.cadence_whole_days"},
		{"90m", 0, "err.cadence"},
		{"0", 0, "err.cadence_range"},
		{"367", 0, "err.cadence_range"},
		{"13 tháng", 0, "err.cadence_range"},
		{"99999 tháng", 0, "err.cadence_range"},
		{"2 fortnights", 0, "err.cadence"},
		{"soon", 0, "err.cadence"},
		{"-14", 0, "err.cadence"},
		{"", 0, "err.cadence"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := bot.ParseCadence(tc.in)
			if k := errKey(t, err); k != tc.err || got != tc.want {
				t.Errorf("ParseCadence(%q) = %v, %q; want %v, %q", tc.in, got, k, tc.want, tc.err)
			}
		})
	}
}

func TestParseKindReadsBothKinds(t *testing.T) {
	const (
		un = bot.KindUnregulated
		us = bot.KindUnsuitable
	)
	tests := []struct{ in, want string }{
		{"1", un},
		{"2", us},
		{" 2. ", us},
		{"(1)", un},
		{"unregulated", un},
		{"unsuitable", us},
		{"Chưa được quy định", un},
		{"chua duoc quy dinh", un},
		{"Chưa có quy định", un},
		{"Not yet regulated", un},
		{"Đã có quy định nhưng không phù hợp với thực tiễn", us},
		{"Đã có quy định nhưng không phù hợp thực tiễn", us},
		{"Đã có quy định nhưng chưa phù hợp với thực tiễn", us}, // holds "chưa": still unsuitable
		{"da co quy dinh nhung chua phu hop voi thuc tien", us},
		{"DA CO QUY DINH NHUNG KHONG PHU HOP", us},
		{"không phù hợp", us},
		{"chưa phù hợp", us},
		{"Regulated but unsuited to practice", us},
		{"Regulated, but the rules do not suit practice", us},
		{"maybe", ""},
		{"3", ""},
		{"chưa rõ", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := bot.ParseKind(tc.in)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("ParseKind(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"30/06/2027", "30/6/27", "30.06.2027", "2027-06-30", "ngày 30 tháng 6 năm 2027", "31/02/2027", "99/99/99", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := bot.ParseDate(s)
		if err != nil {
			if bot.ErrorCode(err) != bot.EInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		d, perr := time.Parse("2006-01-02", got)
		if perr != nil || d.Format("2006-01-02") != got {
			t.Fatalf("%q gave %q, not a calendar date", s, got)
		}
		if again, err := bot.ParseDate(got); err != nil || again != got {
			t.Fatalf("%q: its own result %q reads as %q, %v", s, got, again, err)
		}
	})
}

func FuzzParseCadence(f *testing.F) {
	for _, s := range []string{"14", "14 ngày", "2 tuần", "hằng tháng", "336h", "36h", "2 weeks", "monthly", "99999 tháng", "9223372036854775807h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := bot.ParseCadence(s)
		if err != nil {
			if bot.ErrorCode(err) != bot.EInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if d%(24*time.Hour) != 0 || d < 24*time.Hour || d > 366*24*time.Hour {
			t.Fatalf("%q gave %v", s, d)
		}
		if again, err := bot.ParseCadence(d.String()); err != nil || again != d { // how it is stored
			t.Fatalf("%q: stored %v reads back as %v, %v", s, d, again, err)
		}
	})
}
