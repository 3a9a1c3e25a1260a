// Package faultproxy is a TCP proxy for tests that puts the faults of a
// bad day between a client and a server: a server that hangs (a stalled
// fork, a paused VM, a network partition: nothing moves either way, and
// what was sent runs once it goes on), one that answers slowly, and
// connections dropped in the middle of a command.
//
// Shopify's toxiproxy (served by the module proxy) was tried first: its
// timeout toxic drops the bytes it holds, where a paused Redis keeps them
// and runs the commands when it resumes; that replay is the fault that
// loses updates (docs/RELIABILITY.md), so this package holds them instead.
package faultproxy

import (
	"net"
	"sync"
	"time"
)

// Proxy forwards connections from its address to an upstream address.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	cond   *sync.Cond // signalled at every change of mode and of served
	hung   bool
	issued int // chunks held by a hang so far
	served int // of those, forwarded
	delay  time.Duration
	cut    bool
	conns  map[*pair]struct{}
	closed bool
	wg     sync.WaitGroup

	stats Stats
}

// Stats counts what the proxy did.
type Stats struct {
	Conns int // connections accepted
	Cuts  int // connections dropped in the middle of a command
	Hangs int // times Hang was called
	Held  int // chunks held by hangs, either way
}

// pair is one proxied connection.
type pair struct{ client, server net.Conn }

func (p *pair) close() {
	p.client.Close()
	p.server.Close()
}

// Start listens on a free loopback port and forwards to upstream
// (host:port).
func Start(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[*pair]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients dial (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Hang stops forwarding both ways on every connection, new ones too,
// holding what it read until Resume, which forwards the held chunks one
// by one in the order they were read (across connections), as a paused
// server would find them.
func (p *Proxy) Hang() {
	p.set(func() { p.hung = true; p.stats.Hangs++ })
}

// Slow delays each chunk read, either way, by d (0: no delay).
func (p *Proxy) Slow(d time.Duration) { p.set(func() { p.delay = d }) }

// Cut drops, until Resume, every connection as soon as the client sends
// on it: half of what it sent reaches the server (a command cut in the
// middle), then both ends are closed. New connections are closed at once.
func (p *Proxy) Cut() { p.set(func() { p.cut = true }) }

// Resume ends Hang and Cut (not Slow): held data flows on.
func (p *Proxy) Resume() { p.set(func() { p.hung, p.cut = false, false }) }

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stats
	st.Held = p.issued
	return st
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	p.Resume()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) set(f func()) {
	p.mu.Lock()
	f()
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		pr := &pair{client: c, server: s}
		p.mu.Lock()
		p.stats.Conns++
		if p.closed || p.cut {
			p.mu.Unlock()
			pr.close()
			continue
		}
		p.conns[pr] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(pr, c, s, true)
		go p.pump(pr, s, c, false)
	}
}

// pump forwards src to dst chunk by chunk, each chunk subject to the mode
// at the moment it was read.
func (p *Proxy) pump(pr *pair, src, dst net.Conn, fromClient bool) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, pr)
		p.mu.Unlock()
		pr.close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.forward(buf[:n], dst, fromClient) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forward writes chunk to dst as the mode says: after a hang, in turn;
// slowly; or half of it, then false (cut). False: stop this connection.
func (p *Proxy) forward(chunk []byte, dst net.Conn, fromClient bool) bool {
	p.mu.Lock()
	ticket := -1
	if p.hung && !p.closed {
		ticket = p.issued
		p.issued++
	}
	for !p.closed && (p.hung || ticket >= 0 && p.served != ticket) {
		p.cond.Wait()
	}
	delay, cut := p.delay, p.cut
	if cut && fromClient {
		p.stats.Cuts++
	}
	p.mu.Unlock()
	defer func() {
		if ticket >= 0 {
			p.set(func() { p.served++ })
		}
	}()
	if cut && fromClient {
		_, _ = dst.Write(chunk[:len(chunk)/2])
		return false
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	_, err := dst.Write(chunk)
	return err == nil
}
