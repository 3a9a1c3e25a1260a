package org_test

import (
	"fmt"

	"github.com/sangkien/sangkien/org"
)

func ExampleParse() {
	_, err := org.Parse("org.yaml", []byte(`
name: "Tỉnh X"
people: [{id: bi-thu, identities: ["telegram:900"]}]
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu]}
  - {id: so-tnmt, code: TNMT, name: "Sở TNMT", leaders: [bi-thu], parent: tinh-uyy}
`))
	fmt.Println(err)
	// Output: org.yaml:6: unit "so-tnmt": parent "tinh-uyy" is not a unit
}

func ExampleOrg_Ancestors() {
	o := org.Demo()
	for _, u := range o.Ancestors("so-tnmt") {
		fmt.Println(u.Code, u.Name, o.DisplayName(u.Leaders[0]))
	}
	// Output: TU Tỉnh ủy Trần Văn Bí
}

func ExampleOrg_PersonOf() {
	o := org.Demo()
	fmt.Println(o.PersonOf("console:an"), o.PersonOf("telegram:12345"))
	// Output: can-bo-an telegram:12345
}

func ExampleParseDuration() {
	for _, s := range []string{"72h", "5d", "14"} {
		d, _ := org.ParseDuration(s)
		fmt.Println(d)
	}
	// Output:
	// 72h0m0s
	// 120h0m0s
	// 336h0m0s
}

func ExampleNormalizeCode() {
	fmt.Println(org.NormalizeCode("  tnmt-2026 "))
	// Output: TNMT-2026
}
