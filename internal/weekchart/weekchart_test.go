package weekchart

import (
	"bytes"
	"image/png"
	"testing"
)

func TestPNG(t *testing.T) {
	for name, c := range map[string]Chart{
		"counts": {Title: "Sở TNMT — Đề xuất theo trạng thái", Labels: []string{"02/11", "09/11", "16/11"},
			Series: []Series{{Name: "Đang thí điểm", Points: []Point{{0, 1}, {2, 3}}}, {Name: "Hoàn thành", Points: []Point{{1, 0}}}}},
		"nothing yet": {Title: "Sở TNMT", Labels: []string{"02/11", "09/11"}, Empty: "Chưa có đề xuất"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := PNG(c)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if sz := img.Bounds().Size(); sz.X != Width || sz.Y != Height {
				t.Errorf("size %v, want %dx%d", sz, Width, Height)
			}
		})
	}
}
