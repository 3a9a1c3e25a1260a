package zalo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The OA's tokens. An access token lives 25 hours; the refresh token that
// gets the next one works once, and the answer carries the next refresh
// token, so presenting a spent one locks the bot out until someone
// authorizes the OA again. Hence:
//
//   - the pair lives in the store, written in one step and only over the
//     refresh token presented (Store.RotateTokens);
//   - one replica at a time refreshes, holding a lease that outlasts the
//     OAuth call, renewed just before the refresh token is presented;
//   - under the lease the pair is read again: when another replica has
//     refreshed meanwhile, its token is used and nothing is presented;
//   - a refused refresh token is marked so (Store.RefuseTokens) and never
//     presented again; serve says how to recover.
//
// Tokens never reach a log: errors name the call, never its arguments.

// errRefused is a refresh token Zalo refused: someone must authorize the
// OA again.
var errRefused = errors.New("zalo: the OAuth server refused the stored refresh token; authorize the OA again and set SANGKIEN_ZALO_REFRESH_TOKEN to the new refresh token, then restart")

// usableFor is how long an access token must still live to be used.
const usableFor = time.Minute

// leaseName names the refresh lease.
func (a *Adapter) leaseName() string { return "zalo-refresh:" + a.cfg.AppID }

// seed stores SANGKIEN_ZALO_REFRESH_TOKEN when the store has no token
// pair, or in place of one Zalo refused.
func (a *Adapter) seed(ctx context.Context) error {
	_, refresh, _, refused, err := a.cfg.Store.Tokens(ctx, a.scope())
	if err != nil {
		return fmt.Errorf("zalo: read the token pair: %w", err)
	}
	env := a.cfg.RefreshToken
	switch {
	case refresh == "" && env == "":
		return errors.New("zalo: the store holds no token pair: set SANGKIEN_ZALO_REFRESH_TOKEN to the refresh token of the OA's authorization")
	case refresh == "":
		ok, err := a.cfg.Store.SeedTokens(ctx, a.scope(), env)
		if err != nil {
			return fmt.Errorf("zalo: seed the token pair: %w", err)
		}
		if ok {
			a.log.Info("zalo: token pair seeded from SANGKIEN_ZALO_REFRESH_TOKEN")
		}
	case refused != "" && env != "" && env != refresh:
		ok, err := a.cfg.Store.ReseedTokens(ctx, a.scope(), env)
		if err != nil {
			return fmt.Errorf("zalo: seed the token pair: %w", err)
		}
		if ok {
			a.log.Info("zalo: the stored refresh token was refused; token pair seeded again from SANGKIEN_ZALO_REFRESH_TOKEN")
		}
	case env != "":
		a.log.Debug("zalo: the store holds the token pair; SANGKIEN_ZALO_REFRESH_TOKEN is not used")
	}
	return nil
}

// token returns an access token that lives at least usableFor more:
// the one in hand, else the stored one, else a new one.
func (a *Adapter) token(ctx context.Context) (string, error) {
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	access, expires := a.access, a.expires
	a.mu.Unlock()
	if access != "" && now.Add(usableFor).Before(expires) {
		return access, nil
	}
	access, _, expires, _, err := a.cfg.Store.Tokens(ctx, a.scope())
	if err != nil {
		return "", fmt.Errorf("zalo: read the token pair: %w", err)
	}
	if access != "" && now.Add(usableFor).Before(expires) {
		a.keep(access, expires)
		return access, nil
	}
	return a.refresh(ctx, func(access string, expires time.Time) bool {
		return access != "" && a.cfg.Clock.Now().Add(usableFor).Before(expires)
	})
}

// failed is the answer to an access token Zalo called invalid: the stored
// one when another replica replaced it (its minting killed ours), else a
// new one.
func (a *Adapter) failed(ctx context.Context, bad string) (string, error) {
	a.mu.Lock()
	if a.access == bad {
		a.access, a.expires = "", time.Time{}
	}
	a.mu.Unlock()
	return a.refresh(ctx, func(access string, expires time.Time) bool {
		return access != "" && access != bad && a.cfg.Clock.Now().Add(usableFor).Before(expires)
	})
}

// keep holds an access token in memory.
func (a *Adapter) keep(access string, expires time.Time) {
	a.mu.Lock()
	a.access, a.expires = access, expires
	a.mu.Unlock()
}

// refresh takes the refresh lease, reads the pair again and, unless good
// says the stored access token will do, presents the stored refresh token
// and stores the pair that comes back. It returns the access token to use.
func (a *Adapter) refresh(ctx context.Context, good func(access string, expires time.Time) bool) (string, error) {
	select {
	case a.refreshing <- struct{}{}:
		defer func() { <-a.refreshing }()
	case <-ctx.Done():
		return "", fmt.Errorf("zalo: waiting for this replica's token refresh: %w", ctx.Err())
	}
	ttl := a.cfg.LeaseTTL
	if err := a.acquire(ctx, ttl); err != nil {
		return "", err
	}
	defer func() {
		rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := a.cfg.Store.ReleaseLease(rel, a.leaseName(), a.owner); err != nil {
			a.log.Warn("zalo: release the refresh lease", "err", err)
		}
	}()
	access, refresh, expires, refused, err := a.cfg.Store.Tokens(ctx, a.scope())
	if err != nil {
		return "", fmt.Errorf("zalo: read the token pair: %w", err)
	}
	if good(access, expires) {
		a.keep(access, expires)
		return access, nil // another replica refreshed meanwhile
	}
	switch {
	case refresh == "":
		return "", errors.New("zalo: the store holds no refresh token: set SANGKIEN_ZALO_REFRESH_TOKEN and restart")
	case refused != "":
		return "", errRefused
	}
	// The lease must outlast the call: renewed now, it has its whole TTL,
	// and the call is bounded by a third of it.
	if ok, err := a.cfg.Store.RenewLease(ctx, a.leaseName(), a.owner, ttl); err != nil || !ok {
		return "", fmt.Errorf("zalo: lost the refresh lease before refreshing (%v)", err)
	}
	call, cancel := context.WithTimeout(ctx, ttl/3)
	defer cancel()
	next, err := a.exchange(call, refresh)
	var re *refusal
	if errors.As(err, &re) {
		a.ready.Store(false)
		a.log.Error("zalo: the OAuth server refused the refresh token; the bot cannot send on Zalo until the OA is authorized again (SANGKIEN_ZALO_REFRESH_TOKEN, then restart)", "reason", re.reason)
		mark, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := a.cfg.Store.RefuseTokens(mark, a.scope(), refresh, re.reason); err != nil {
			a.log.Error("zalo: note the refused refresh token", "err", err)
		}
		return "", errRefused
	}
	if err != nil {
		a.ready.Store(false)
		return "", err
	}
	end := a.cfg.Clock.Now().Add(next.expiresIn)
	// The old refresh token is spent: the new pair must be stored, even
	// past ctx, or the next refresh locks the bot out.
	store, cancelStore := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancelStore()
	for attempt := 1; ; attempt++ {
		ok, err := a.cfg.Store.RotateTokens(store, a.scope(), refresh, next.access, next.refresh, end)
		if err == nil && !ok {
			a.log.Error("zalo: the stored refresh token changed while this replica refreshed; its new pair is dropped")
			return "", errors.New("zalo: token pair changed during the refresh")
		}
		if err == nil {
			break
		}
		if attempt == 5 || store.Err() != nil {
			a.log.Error("zalo: could not store the new token pair; the next refresh will be refused", "err", err)
			a.keep(next.access, end)
			return next.access, nil
		}
		time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
	}
	a.keep(next.access, end)
	a.ready.Store(true)
	a.log.Info("zalo: access token refreshed", "valid until", end.Format(time.RFC3339))
	return next.access, nil
}

// acquire waits for the refresh lease.
func (a *Adapter) acquire(ctx context.Context, ttl time.Duration) error {
	for {
		ok, err := a.cfg.Store.AcquireLease(ctx, a.leaseName(), a.owner, ttl)
		if err != nil {
			return fmt.Errorf("zalo: refresh lease: %w", err)
		}
		if ok {
			return nil
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("zalo: waiting for another replica's token refresh: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// pair is what a refresh got.
type pair struct {
	access, refresh string
	expiresIn       time.Duration
}

// refusal is the OAuth server's answer that the refresh token will not do.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "zalo: refresh refused: " + r.reason }

// exchange presents refresh at POST {OAUTH}/v4/oa/access_token with the
// app's secret key. An answer without both tokens is a refusal; a network
// error or a 5xx is not (the token may be good still).
func (a *Adapter) exchange(ctx context.Context, refresh string) (*pair, error) {
	form := url.Values{"app_id": {a.cfg.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.OAuth+"/v4/oa/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("zalo: SANGKIEN_ZALO_OAUTH: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", a.cfg.AppSecret)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zalo: refresh at %s: %s: check SANGKIEN_ZALO_OAUTH and the network", a.cfg.OAuth, callError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("zalo: refresh at %s: reading the answer: %s", a.cfg.OAuth, callError(err))
	}
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("zalo: refresh at %s: HTTP %d", a.cfg.OAuth, resp.StatusCode)
	}
	if resp.StatusCode == http.StatusNotFound {
		// Zalo's answer to a missing or empty secret_key ("empty api").
		return nil, &refusal{reason: "HTTP 404: check SANGKIEN_ZALO_APP_SECRET"}
	}
	var r struct {
		Access    string          `json:"access_token"`
		Refresh   string          `json:"refresh_token"`
		ExpiresIn json.RawMessage `json:"expires_in"`
		Error     json.Number     `json:"error"`
		ErrorName string          `json:"error_name"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("zalo: refresh at %s: HTTP %d with an answer that is not JSON", a.cfg.OAuth, resp.StatusCode)
	}
	if r.Access == "" || r.Refresh == "" {
		return nil, &refusal{reason: strings.TrimSpace(fmt.Sprintf("%s %s", r.Error, r.ErrorName))}
	}
	secs, err := strconv.Atoi(strings.Trim(string(r.ExpiresIn), `"`)) // a string of seconds, or a number
	if err != nil || secs <= 0 {
		secs = 25 * 3600 // Zalo's documented lifetime
	}
	return &pair{access: r.Access, refresh: r.Refresh, expiresIn: time.Duration(secs) * time.Second}, nil
}

// callError is err without the request's URL and body: net/http puts the
// URL in its errors, and a token must never reach a log.
func callError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// Run refreshes the access token ahead of its end, RefreshAhead before it,
// until ctx ends. Every replica runs it; the lease and the second read
// under it make one of them refresh.
func (a *Adapter) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.RefreshCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := a.refreshAhead(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("zalo: refresh ahead of expiry", "err", err)
		}
	}
}

// refreshAhead refreshes when the stored access token ends within
// RefreshAhead.
func (a *Adapter) refreshAhead(ctx context.Context) error {
	ahead := func(access string, expires time.Time) bool {
		return access != "" && a.cfg.Clock.Now().Add(a.cfg.RefreshAhead).Before(expires)
	}
	access, _, expires, refused, err := a.cfg.Store.Tokens(ctx, a.scope())
	if err != nil {
		return err
	}
	if ahead(access, expires) || refused != "" {
		return nil
	}
	_, err = a.refresh(ctx, ahead)
	return err
}

func newOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
