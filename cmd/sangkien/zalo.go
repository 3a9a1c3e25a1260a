package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/sangkien/sangkien/adapters/zalo"
	"github.com/sangkien/sangkien/storage"
)

var _ zalo.Store = (*storage.Store)(nil)

// zaloVars are the variables of the Zalo platform, which go together.
var zaloVars = []string{"SANGKIEN_ZALO_APP_ID", "SANGKIEN_ZALO_APP_SECRET", "SANGKIEN_ZALO_OA_SECRET", "SANGKIEN_ZALO_REFRESH_TOKEN", "SANGKIEN_ZALO_API", "SANGKIEN_ZALO_OAUTH"}

// zaloPlatform runs the Zalo Official Account when SANGKIEN_ZALO_APP_ID is
// set: the webhook at /zalo/webhook on the HTTP server, and the refresher
// that keeps the OA's access token fresh (run). The secrets and tokens are
// never logged.
func zaloPlatform(e *env, a *app, mux *http.ServeMux) (*platform, error) {
	if err := e.checkZalo(); err != nil {
		return nil, err
	}
	if e.getenv("SANGKIEN_ZALO_APP_ID") == "" {
		return nil, nil
	}
	ad, err := zalo.New(e.ctx, zalo.Config{
		AppID:        e.getenv("SANGKIEN_ZALO_APP_ID"),
		AppSecret:    e.getenv("SANGKIEN_ZALO_APP_SECRET"),
		OASecret:     e.getenv("SANGKIEN_ZALO_OA_SECRET"),
		RefreshToken: e.getenv("SANGKIEN_ZALO_REFRESH_TOKEN"),
		API:          e.get("SANGKIEN_ZALO_API", zalo.DefaultAPI),
		OAuth:        e.get("SANGKIEN_ZALO_OAUTH", zalo.DefaultOAuth),
		Engine:       a.engine,
		Store:        a.store,
		Log:          e.log,
	})
	if err != nil {
		return nil, err
	}
	ad.Register(mux)
	e.log.Info("zalo: webhook", "path", zalo.PathWebhook, "url", e.get("SANGKIEN_PUBLIC_URL", "http://localhost:8080")+zalo.PathWebhook)
	return &platform{name: "zalo", sender: ad, run: ad.Run, ready: ad.Ready, stop: ad.Stop}, nil
}

var zaloAppID = regexp.MustCompile(`^[0-9]{1,30}$`)

// checkZalo checks the Zalo variables together: none set, or the app id,
// the app's secret and the OA's secret all set, with an id of digits and
// base URLs that are URLs. The refresh token is needed only while the
// store holds none, which serve finds out.
// zaloAddressWarning is config check's warning when Zalo is configured
// without a public HTTPS address: Zalo posts its events only to HTTPS,
// and its users get their signed certificate and the web register as
// links to that address (an OA cannot send them a file).
func (e *env) zaloAddressWarning() string {
	if e.getenv("SANGKIEN_ZALO_APP_ID") == "" {
		return ""
	}
	if u, err := url.Parse(e.getenv("SANGKIEN_PUBLIC_URL")); err == nil && u.Scheme == "https" && u.Host != "" {
		return ""
	}
	return "Zalo is configured but SANGKIEN_PUBLIC_URL is not an https:// address: Zalo delivers events only to HTTPS (" + zalo.PathWebhook + " there), and Zalo users receive their certificate's PDF and /web sign-in links as links to it"
}

func (e *env) checkZalo() error {
	set := false
	for _, v := range zaloVars {
		set = set || e.getenv(v) != ""
	}
	if !set {
		return nil
	}
	var errs []error
	for _, v := range []string{"SANGKIEN_ZALO_APP_ID", "SANGKIEN_ZALO_APP_SECRET", "SANGKIEN_ZALO_OA_SECRET"} {
		if e.getenv(v) == "" {
			errs = append(errs, fmt.Errorf("%s is not set: the Zalo variables go together (app id, app secret, OA secret; and the refresh token while the store holds none)", v))
		}
	}
	if id := e.getenv("SANGKIEN_ZALO_APP_ID"); id != "" && !zaloAppID.MatchString(id) {
		errs = append(errs, errors.New("SANGKIEN_ZALO_APP_ID must be the app's numeric id, as developers.zalo.me shows it"))
	}
	for _, v := range []string{"SANGKIEN_ZALO_API", "SANGKIEN_ZALO_OAUTH"} {
		if s := e.getenv(v); s != "" {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s=%q is not an http(s) URL", v, s))
			}
		}
	}
	return errors.Join(errs...)
}
