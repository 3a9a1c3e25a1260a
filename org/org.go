package org

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Org is a loaded and validated organisation. Treat it as read-only: the
// lookups below read indexes built once by Parse.
type Org struct {
	Name      string
	Timezone  string
	Location  *time.Location
	Language  string // "vi" (default) or "en"
	People    []Person
	Units     []Unit
	Policy    Policy
	Schedules map[string]string // job name -> cron spec, as the file gives it (schedules.Specs adds the defaults)
	Demo      bool              // the built-in demo org
	Source    string            // file path, or "built-in demo"

	personByID map[string]int
	owner      map[string]string // identity -> person id
	unitByID   map[string]int
	unitByCode map[string]int // NormalizeCode(code) -> index
	unitByJoin map[string]int // NormalizeCode(join_code) -> index
	children   map[string][]int
	leaderOf   map[string][]int
	memberOf   map[string][]int
}

// Person is someone the bot knows by name. Identities are where the person
// can be reached, in the order the org file lists them.
type Person struct {
	ID         string
	Name       string
	Identities []string
}

// Unit is an agency or committee that receives proposals. Leaders and
// Members hold person ids; a raw identity that no person owns stays as is.
type Unit struct {
	ID, Code, Name, Parent string
	Leaders                []string
	Members                []string
	Channels               []string // group chats such as telegram:-1002, slack:C123
	JoinCode               string
}

// Policy holds the deadlines the schedules enforce.
type Policy struct {
	ReviewSLA     time.Duration // a submitted proposal is overdue after this
	EscalateAfter time.Duration // an undecided proposal goes to the parent unit after this
	ReportEvery   time.Duration // default report cadence of a pilot
	ObstacleSLA   time.Duration // an open obstacle is overdue after this
}

// DefaultPolicy is the policy of an org file that leaves keys out.
var DefaultPolicy = Policy{
	ReviewSLA:     120 * time.Hour,
	EscalateAfter: 240 * time.Hour,
	ReportEvery:   336 * time.Hour,
	ObstacleSLA:   72 * time.Hour,
}

// JobNames are the jobs an org file's schedules section may name, in the
// order of docs/rules/jobs.md. What each does and its default spec are in
// the schedules package's job table.
var JobNames = []string{"review_reminders", "supervision", "report_prompts", "obstacle_followup", "pilot_end", "digest"}

// DemoSource is the Source of the built-in demo org.
const DemoSource = "built-in demo"

//go:embed demo.yaml
var demoYAML []byte

// Load reads and parses the org file at path.
func Load(path string) (*Org, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read org file: %w", err)
	}
	return Parse(path, data)
}

// Demo returns the built-in demo org (org/demo.yaml), a fresh copy each call.
func Demo() *Org {
	o, err := Parse("demo.yaml", demoYAML)
	if err != nil {
		panic("org: the built-in demo org is invalid: " + err.Error())
	}
	o.Demo = true
	o.Source = DemoSource
	return o
}

// Person returns the person with the given id, or nil.
func (o *Org) Person(id string) *Person {
	if i, ok := o.personByID[id]; ok {
		return &o.People[i]
	}
	return nil
}

// PersonOf returns the id of the person owning identity, or identity itself
// when nobody in the org file owns it.
func (o *Org) PersonOf(identity string) string {
	if id, ok := o.owner[identity]; ok {
		return id
	}
	return identity
}

// DisplayName returns the person's name, else the id.
func (o *Org) DisplayName(personID string) string {
	if p := o.Person(o.PersonOf(personID)); p != nil && p.Name != "" {
		return p.Name
	}
	return personID
}

// Addresses returns where a person can be reached: the identities in file
// order, or the id itself when it is an identity nobody owns.
func (o *Org) Addresses(personID string) []string {
	if p := o.Person(personID); p != nil {
		return slices.Clone(p.Identities)
	}
	if strings.Contains(personID, ":") {
		return []string{personID}
	}
	return nil
}

// Unit returns the unit with the given id, or nil.
func (o *Org) Unit(id string) *Unit {
	if i, ok := o.unitByID[id]; ok {
		return &o.Units[i]
	}
	return nil
}

// UnitByCode returns the unit whose code is code as a user typed it, or nil.
func (o *Org) UnitByCode(code string) *Unit {
	if i, ok := o.unitByCode[NormalizeCode(code)]; ok {
		return &o.Units[i]
	}
	return nil
}

// UnitByJoinCode returns the unit whose join_code is code as a user typed
// it, or nil.
func (o *Org) UnitByJoinCode(code string) *Unit {
	code = NormalizeCode(code)
	if code == "" {
		return nil
	}
	if i, ok := o.unitByJoin[code]; ok {
		return &o.Units[i]
	}
	return nil
}

// Parent returns the parent of u, or nil for a root.
func (o *Org) Parent(u *Unit) *Unit {
	if u == nil || u.Parent == "" {
		return nil
	}
	return o.Unit(u.Parent)
}

// Ancestors returns the units above unitID, parent first, up to the root.
func (o *Org) Ancestors(unitID string) []*Unit {
	var out []*Unit
	for u := o.Parent(o.Unit(unitID)); u != nil; u = o.Parent(u) {
		out = append(out, u)
	}
	return out
}

// IsLeader reports whether the person (id, or an identity) leads the unit.
func (o *Org) IsLeader(personID, unitID string) bool {
	u := o.Unit(unitID)
	return u != nil && slices.Contains(u.Leaders, o.PersonOf(personID))
}

// LeaderOf returns the units the person (id, or an identity) leads, in file order.
func (o *Org) LeaderOf(personID string) []*Unit {
	return o.units(o.leaderOf[o.PersonOf(personID)])
}

// MemberOf returns the units listing the person (id, or an identity) as a
// member, in file order.
func (o *Org) MemberOf(personID string) []*Unit {
	return o.units(o.memberOf[o.PersonOf(personID)])
}

// Children returns the units whose parent is unitID, in file order.
func (o *Org) Children(unitID string) []*Unit {
	return o.units(o.children[unitID])
}

func (o *Org) units(idx []int) []*Unit {
	if len(idx) == 0 {
		return nil
	}
	out := make([]*Unit, len(idx))
	for i, j := range idx {
		out[i] = &o.Units[j]
	}
	return out
}

// index builds the lookups; Parse calls it once the org is valid.
func (o *Org) index() {
	o.personByID = make(map[string]int, len(o.People))
	o.owner = make(map[string]string)
	for i, p := range o.People {
		o.personByID[p.ID] = i
		for _, id := range p.Identities {
			o.owner[id] = p.ID
		}
	}
	o.unitByID = make(map[string]int, len(o.Units))
	o.unitByCode = make(map[string]int, len(o.Units))
	o.unitByJoin = make(map[string]int)
	o.children = make(map[string][]int)
	o.leaderOf = make(map[string][]int)
	o.memberOf = make(map[string][]int)
	for i, u := range o.Units {
		o.unitByID[u.ID] = i
		o.unitByCode[NormalizeCode(u.Code)] = i
		if c := NormalizeCode(u.JoinCode); c != "" {
			o.unitByJoin[c] = i
		}
		if u.Parent != "" {
			o.children[u.Parent] = append(o.children[u.Parent], i)
		}
		for _, p := range u.Leaders {
			o.leaderOf[p] = append(o.leaderOf[p], i)
		}
		for _, p := range u.Members {
			o.memberOf[p] = append(o.memberOf[p], i)
		}
	}
}
