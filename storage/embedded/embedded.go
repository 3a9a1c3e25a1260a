package embedded

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// AOFName is the embedded store's append-only file inside its directory.
const AOFName = "sangkien.aof"

// Server is the store used when no Redis is configured: an in-process
// miniredis made durable by an append-only file. The storage.Store code
// runs on it unchanged, through Client.
//
// Every write command sent through a client of a Server is appended to
// <dir>/sangkien.aof and synced to disk before the command returns, so an
// acknowledged write survives a crash of the process or the machine. A
// crash in the middle of an append tears the last record; the next open
// drops it (that write was never acknowledged) and says so in the log.
// Open replays the file, then rewrites it compactly from the data set. Keys
// keep their expiry across restarts: relative expiries (SET ... PX, EXPIRE)
// are logged as absolute ones. Lua scripts must do the same (the store's
// pass absolute times in ARGV), and read no clock or randomness, so that a
// replay does what the first run did. Hash field expiries (HEXPIRE) are
// not kept; the store uses none.
//
// Only writes through Client and NewClient are kept: the server's address
// (Addr) is for reading and debugging.
type Server struct {
	dir  string
	log  *slog.Logger
	mr   *miniredis.Miniredis
	aof  *appendLog
	lock *os.File

	client *redis.Client

	mu      sync.Mutex
	clients []*redis.Client
	closed  bool
}

// Open opens (creating it if need be) the embedded store in dir.
// Only one process at a time may have dir open.
func Open(dir string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	e := &Server{dir: dir, log: log, lock: lock, mr: miniredis.NewMiniRedis()}
	e.mr.ClockTTL(true) // TTLs run with the wall clock, as in Redis
	if err := e.mr.Start(); err != nil {
		_ = unlockDir(lock)
		return nil, fmt.Errorf("embedded store: start: %w", err)
	}
	if err := e.open(); err != nil {
		e.mr.Close()
		_ = unlockDir(lock)
		return nil, fmt.Errorf("embedded store %s: %w", dir, err)
	}
	e.client = e.NewClient()
	return e, nil
}

func (e *Server) path() string { return filepath.Join(e.dir, AOFName) }

// open replays the append-only file, compacts it, and opens it for
// appending.
func (e *Server) open() error {
	start := time.Now()
	records, failed, err := e.replay()
	if err != nil {
		return err
	}
	if err := e.compact(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	f, err := os.OpenFile(e.path(), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	e.aof = &appendLog{f: f, scripts: map[string]string{}, isRead: e.mr.IsReadOnlyCommand}
	e.log.Info("embedded store open", "dir", e.dir, "records", records, "failed", failed,
		"keys", len(e.mr.Keys()), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// replay applies the append-only file to the empty miniredis.
func (e *Server) replay() (records, failed int, err error) {
	f, err := os.Open(e.path())
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	c := redis.NewClient(e.options())
	defer c.Close()
	ctx := context.Background()
	var firstErr error
	end, torn, err := readAOF(f, func(cmds [][]string) error {
		records++
		n, ferr, err := replayRecord(ctx, c, cmds)
		failed += n
		if firstErr == nil {
			firstErr = ferr
		}
		return err
	})
	if err != nil {
		return records, failed, err
	}
	if torn {
		e.log.Warn("embedded store: dropped a torn last record (a write cut short by a crash; it was never acknowledged)",
			"file", e.path(), "offset", end)
	}
	if firstErr != nil {
		e.log.Warn("embedded store: some replayed commands failed", "failed", failed, "first", firstErr)
	}
	return records, failed, nil
}

// replayRecord runs one record's commands. Commands that fail with a Redis
// error are counted, not fatal: they failed the same way when first run.
func replayRecord(ctx context.Context, c *redis.Client, cmds [][]string) (failed int, first, err error) {
	body := cmds
	tx := strings.EqualFold(cmds[0][0], "MULTI")
	if tx {
		if len(cmds) < 2 || !strings.EqualFold(cmds[len(cmds)-1][0], "EXEC") {
			return 0, nil, errors.New("transaction without EXEC")
		}
		body = cmds[1 : len(cmds)-1]
	}
	pipe := c.Pipeline()
	if tx {
		pipe = c.TxPipeline()
	}
	out := make([]*redis.Cmd, len(body))
	for i, args := range body {
		a := make([]any, len(args))
		for j, s := range args {
			a[j] = s
		}
		out[i] = pipe.Do(ctx, a...)
	}
	if len(body) == 0 {
		return 0, nil, nil
	}
	_, _ = pipe.Exec(ctx)
	for _, cmd := range out {
		err := cmd.Err()
		var rerr redis.Error
		switch {
		case err == nil:
		case errors.As(err, &rerr):
			if !errors.Is(err, redis.Nil) {
				failed++
				if first == nil {
					first = err
				}
			}
		default:
			return failed, first, err
		}
	}
	return failed, first, nil
}

// compact rewrites the append-only file from the data set: write a new
// file, sync it, rename it over the old one, sync the directory.
func (e *Server) compact() error {
	tmp := e.path() + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	w := bufio.NewWriterSize(f, 1<<20)
	werr := func() error {
		if _, err := w.WriteString(aofMagic); err != nil {
			return err
		}
		now := time.Now()
		var buf []byte
		keys := e.mr.Keys()
		slices.Sort(keys)
		for _, k := range keys {
			cmds, err := e.dumpKey(k, now)
			if err != nil {
				return err
			}
			if len(cmds) == 0 {
				continue // expired meanwhile
			}
			buf = appendRecord(buf[:0], cmds)
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Sync()
	}()
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	if err := os.Rename(tmp, e.path()); err != nil {
		return err
	}
	return syncDir(e.dir)
}

// dumpChunk bounds the elements of one command in a compacted file.
const dumpChunk = 512

// dumpKey returns the commands that recreate key k, expiry included.
func (e *Server) dumpKey(k string, now time.Time) ([][]string, error) {
	var cmds [][]string
	chunked := func(cmd string, items []string, per int) {
		for len(items) > 0 {
			n := min(len(items), dumpChunk*per)
			cmds = append(cmds, append([]string{cmd, k}, items[:n]...))
			items = items[n:]
		}
	}
	switch t := e.mr.Type(k); t {
	case "":
		return nil, nil
	case "string":
		v, err := e.mr.Get(k)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, []string{"SET", k, v})
	case "hash":
		fields, err := e.mr.HKeys(k)
		if err != nil {
			return nil, err
		}
		items := make([]string, 0, 2*len(fields))
		for _, f := range fields {
			items = append(items, f, e.mr.HGet(k, f))
		}
		chunked("HSET", items, 2)
	case "list":
		items, err := e.mr.List(k)
		if err != nil {
			return nil, err
		}
		chunked("RPUSH", items, 1)
	case "set":
		items, err := e.mr.Members(k)
		if err != nil {
			return nil, err
		}
		chunked("SADD", items, 1)
	case "zset":
		m, err := e.mr.SortedSet(k)
		if err != nil {
			return nil, err
		}
		members := make([]string, 0, len(m))
		for mem := range m {
			members = append(members, mem)
		}
		slices.Sort(members)
		items := make([]string, 0, 2*len(m))
		for _, mem := range members {
			items = append(items, formatScore(m[mem]), mem)
		}
		chunked("ZADD", items, 2)
	default:
		return nil, fmt.Errorf("key %q: type %s is not kept by the embedded store", k, t)
	}
	if ttl := e.mr.TTL(k); ttl > 0 {
		cmds = append(cmds, []string{"PEXPIREAT", k, strconv.FormatInt(now.Add(ttl).UnixMilli(), 10)})
	}
	return cmds, nil
}

func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// options are those of every client on the miniredis: no retries, since a
// retried write could run twice in memory and once in the file.
func (e *Server) options() *redis.Options {
	return &redis.Options{
		Addr:                     e.mr.Addr(),
		MaxRetries:               -1,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// Client is the client to build a storage.Store on. Server.Close closes it.
func (e *Server) Client() redis.UniversalClient { return e.client }

// NewClient returns another client whose writes are kept like Client's.
// The caller may close it; Server.Close closes it otherwise.
func (e *Server) NewClient() *redis.Client {
	c := redis.NewClient(e.options())
	c.AddHook(aofHook{e.aof})
	e.mu.Lock()
	e.clients = append(e.clients, c)
	e.mu.Unlock()
	return c
}

// Addr is the address of the in-process server. Writes sent there by
// other clients are not kept.
func (e *Server) Addr() string { return e.mr.Addr() }

// Close closes the clients, stops the server and releases the directory.
// It is safe to call twice.
func (e *Server) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	for _, c := range e.clients {
		_ = c.Close()
	}
	e.mr.Close()
	err := e.aof.close()
	if uerr := unlockDir(e.lock); err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("close embedded store: %w", err)
	}
	return nil
}

// appendLog appends the writes of the hooked clients to the file.
type appendLog struct {
	// mu is held from before a write executes until its record is
	// appended, so that the file's order is the execution order.
	mu      sync.Mutex
	f       *os.File // set once; closed by close
	closed  bool
	scripts map[string]string // sha1 → body of every script seen
	isRead  func(cmd string) bool
	buf     []byte
	// err, once set, refuses every later write: memory may be ahead of
	// the file, and only a reopen (a replay) makes them agree again.
	err     error
	written atomic.Uint64 // records appended

	syncMu sync.Mutex
	synced uint64 // records known to be on disk
}

// errNotRun marks the other commands of a pipeline refused as a whole.
var errNotRun = errors.New("embedded store: pipeline not run")

// Kinds of command for the log.
const (
	kindRead       = iota // no effect on data: not logged
	kindWrite             // logged
	kindScriptLoad        // SCRIPT LOAD: remembered, not logged
)

// connectionCommands change no data, though miniredis does not mark them
// read-only.
var connectionCommands = map[string]bool{
	"ping": true, "echo": true, "hello": true, "auth": true, "client": true, "select": true,
	"quit": true, "info": true, "time": true, "command": true, "script": true, "watch": true,
	"unwatch": true, "multi": true, "exec": true, "discard": true, "readonly": true,
	"readwrite": true, "dbsize": true, "config": true, "object": true, "memory": true,
	"wait": true, "publish": true, "subscribe": true, "psubscribe": true, "unsubscribe": true,
	"punsubscribe": true, "ssubscribe": true, "sunsubscribe": true, "pubsub": true, "monitor": true,
	"debug": true, "lastsave": true, "role": true, "cluster": true, "asking": true, "reset": true,
}

func (l *appendLog) kind(cmd redis.Cmder) int {
	name := strings.ToLower(cmd.Name())
	if name == "script" {
		if a := cmd.Args(); len(a) > 2 && strings.EqualFold(fmt.Sprint(a[1]), "load") {
			return kindScriptLoad
		}
	}
	if connectionCommands[name] || l.isRead(name) {
		return kindRead
	}
	return kindWrite
}

// learn remembers a script body under its SHA1.
func (l *appendLog) learn(body string) {
	sum := sha1.Sum([]byte(body))
	l.mu.Lock()
	l.scripts[hex.EncodeToString(sum[:])] = body
	l.mu.Unlock()
}

// render turns a write into the strings to log; EVALSHA becomes EVAL with
// the body. ok is false for an EVALSHA of a script never seen.
func (l *appendLog) render(cmd redis.Cmder) (args []string, ok bool, err error) {
	raw := cmd.Args()
	args = make([]string, len(raw))
	for i, a := range raw {
		if args[i], err = argString(a); err != nil {
			return nil, false, err
		}
	}
	switch strings.ToUpper(args[0]) {
	case "EVAL":
		if len(args) > 1 {
			sum := sha1.Sum([]byte(args[1]))
			l.scripts[hex.EncodeToString(sum[:])] = args[1]
		}
	case "EVALSHA":
		if len(args) < 2 {
			return args, true, nil
		}
		body, known := l.scripts[strings.ToLower(args[1])]
		if !known {
			return nil, false, nil
		}
		args = append([]string{"EVAL", body}, args[2:]...)
	}
	return args, true, nil
}

// outcome of a write, for the log.
const (
	ranNot       = iota // had no effect: not logged
	ran                 // took effect (maybe partly, for a script): logged
	ranUncertain        // may or may not have run: memory and file may differ
)

func writeOutcome(args []string, err error) int {
	var rerr redis.Error
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		return ran
	case errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed), errors.Is(err, errNotRun):
		return ranNot
	case errors.As(err, &rerr):
		// A command that fails has no effect; a script may have written
		// before failing, and its replay fails at the same point.
		if strings.EqualFold(args[0], "EVAL") && !redis.HasErrorPrefix(err, "NOSCRIPT") {
			return ran
		}
		return ranNot
	}
	return ranUncertain
}

// write executes cmds (one command, a pipeline, or a MULTI/EXEC
// transaction when tx) and appends the writes among them to the file,
// synced before it returns.
func (l *appendLog) write(ctx context.Context, cmds []redis.Cmder, tx bool, exec func(context.Context) error) error {
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		for _, c := range cmds {
			c.SetErr(err)
		}
		return err
	}
	rendered := make([][]string, len(cmds))
	for i, c := range cmds {
		if l.kind(c) != kindWrite {
			continue
		}
		args, ok, err := l.render(c)
		if err != nil || !ok {
			l.mu.Unlock()
			return refuse(cmds, err)
		}
		rendered[i] = absoluteTTL(args, time.Now())
	}
	// A write once started runs to its end, so that the file learns of it.
	err := exec(context.WithoutCancel(ctx))

	var rec [][]string
	uncertain := false
	if tx {
		var rerr redis.Error
		switch {
		case err == nil, errors.As(err, &rerr) && !errors.Is(err, redis.TxFailedErr):
			rec = append(rec, []string{"MULTI"})
			for _, r := range rendered {
				if r != nil {
					rec = append(rec, r)
				}
			}
			rec = append(rec, []string{"EXEC"})
		case writeOutcome([]string{"MULTI"}, err) == ranUncertain:
			uncertain = true
		}
	} else {
		for i, r := range rendered {
			if r == nil {
				continue
			}
			switch writeOutcome(r, cmds[i].Err()) {
			case ran:
				rec = append(rec, r)
			case ranUncertain:
				uncertain = true
			}
		}
	}
	if uncertain {
		l.err = fmt.Errorf("embedded store: a write may or may not have run (%v); refusing writes until reopened", err)
		l.mu.Unlock()
		return l.fail(cmds, l.err)
	}
	var seq uint64
	if len(rec) > 0 {
		l.buf = appendRecord(l.buf[:0], rec)
		if _, werr := l.f.Write(l.buf); werr != nil {
			l.err = fmt.Errorf("embedded store: append: %w; refusing writes until reopened", werr)
			l.mu.Unlock()
			return l.fail(cmds, l.err)
		}
		seq = l.written.Add(1)
	}
	l.mu.Unlock()
	if seq > 0 {
		if serr := l.sync(seq); serr != nil {
			return l.fail(cmds, serr)
		}
	}
	return err
}

// refuse fails a write that cannot be logged before running any of it.
// An unknown EVALSHA gets NOSCRIPT, so that go-redis sends EVAL with the
// body instead.
func refuse(cmds []redis.Cmder, err error) error {
	if err != nil {
		err = fmt.Errorf("embedded store: %w", err)
		for _, c := range cmds {
			c.SetErr(err)
		}
		return err
	}
	for _, c := range cmds {
		if strings.EqualFold(c.Name(), "evalsha") {
			c.SetErr(redis.ErrNoScript)
		} else {
			c.SetErr(errNotRun)
		}
	}
	return redis.ErrNoScript
}

func (l *appendLog) fail(cmds []redis.Cmder, err error) error {
	for _, c := range cmds {
		c.SetErr(err)
	}
	return err
}

// sync makes sure record seq is on disk. Writers that arrive while a sync
// runs share the next one (group commit).
func (l *appendLog) sync(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced >= seq {
		return nil
	}
	upTo := l.written.Load()
	if err := l.f.Sync(); err != nil {
		l.mu.Lock()
		l.err = fmt.Errorf("embedded store: sync: %w; refusing writes until reopened", err)
		err = l.err
		l.mu.Unlock()
		return err
	}
	l.synced = upTo
	return nil
}

func (l *appendLog) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.f.Sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if l.err == nil {
		l.err = errors.New("embedded store: closed")
	}
	return err
}

// aofHook logs the writes of a client to the append-only file.
type aofHook struct{ l *appendLog }

func (aofHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h aofHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch h.l.kind(cmd) {
		case kindRead:
			return next(ctx, cmd)
		case kindScriptLoad:
			err := next(ctx, cmd)
			if err == nil {
				h.l.learn(fmt.Sprint(cmd.Args()[2]))
			}
			return err
		}
		return h.l.write(ctx, []redis.Cmder{cmd}, false, func(ctx context.Context) error {
			return next(ctx, cmd)
		})
	}
}

func (h aofHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		writes := false
		for _, c := range cmds {
			switch h.l.kind(c) {
			case kindWrite:
				writes = true
			case kindScriptLoad:
				h.l.learn(fmt.Sprint(c.Args()[2]))
			}
		}
		if !writes {
			return next(ctx, cmds)
		}
		tx := len(cmds) > 0 && strings.EqualFold(cmds[0].Name(), "multi")
		return h.l.write(ctx, cmds, tx, func(ctx context.Context) error {
			return next(ctx, cmds)
		})
	}
}
