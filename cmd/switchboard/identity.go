package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/httpapi"
)

// startIdentity builds the OAuth 2.0 authorization server (loading or
// creating the JWT signing keys), makes the API accept its access tokens,
// builds the dashboard's pages, and, if no user exists yet, creates the
// one-time setup link of the first admin.
func (m *Main) startIdentity(ctx context.Context) error {
	var err error
	m.OAuth, err = auth.NewOAuthServer(ctx, auth.OAuthConfig{
		PublicURL:      m.Config.PublicURL,
		AccessTokenTTL: m.Config.AccessTokenTTL,
		MasterKey:      m.masterKey,
	}, auth.OAuthDeps{Store: m.DB, Write: m.Pipeline.Write, Clock: m.clock(), Logger: m.Logger})
	if err != nil {
		return fmt.Errorf("OAuth server: %w", err)
	}
	m.auth.UseTokens(m.OAuth.Verifier())
	ws, err := ensureWorkspace(ctx, m.DB, sb.DefaultWorkspace)
	if err != nil {
		return err
	}
	m.Dashboard = dashboard.New(dashboard.Config{PublicURL: m.Config.PublicURL, SetupWorkspace: ws.ID},
		dashboard.Deps{App: m.App, OAuth: m.OAuth, Clock: m.clock(), Logger: m.Logger, ClientIP: m.clientIP})
	token, err := m.App.CreateSetupLink(ctx)
	if err != nil {
		return fmt.Errorf("setup link: %w", err)
	}
	if token != "" {
		m.setupLink = m.Config.PublicURL + "/setup?token=" + token
	}
	go m.purgeTokensLoop(ctx)
	return nil
}

// purgeTokensLoop removes the records of expired OAuth codes and tokens
// every hour.
func (m *Main) purgeTokensLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := m.DB.DeleteOAuthTokensBefore(ctx, m.clock().Now())
		if err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("purging expired OAuth tokens", "error", err)
		} else if n > 0 {
			m.Logger.Debug("purged expired OAuth tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// clientIP names the client of a dashboard request as the API does (with
// the trusted proxies); set once the API server exists.
func (m *Main) clientIP(r *http.Request) string {
	if m.api == nil {
		return r.RemoteAddr
	}
	return m.api.ClientIP(r)
}

// withPages serves the dashboard's pages beside the API.
func (m *Main) withPages(api *httpapi.Server) http.Handler {
	m.api = api
	mux := http.NewServeMux()
	m.Dashboard.Mount(mux)
	mux.Handle("/", api)
	return mux
}

func (m *Main) printSetupLink() {
	if m.setupLink == "" {
		return
	}
	fmt.Fprintf(m.Stdout, "\nNo dashboard user exists yet. Create the first admin here (works once, for %s):\n  %s\n\n",
		app.SetupLinkTTL, m.setupLink)
}
