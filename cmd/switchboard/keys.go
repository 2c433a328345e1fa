package main

import (
	"context"
	"fmt"
	"io"

	"github.com/switchboardhq/switchboard/auth"
)

// rotateKeys implements `switchboard keys rotate`: a new JWT signing key
// becomes current; the old ones stay in the JWKS (and valid) until the
// tokens they signed have expired. Running servers pick the new key up
// within a minute.
func rotateKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("keys rotate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Stdout: io.Discard, Logger: newLogger(cfg, stderr)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	k, err := auth.RotateSigningKey(ctx, m.DB, m.clock())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.ID)
	fmt.Fprintf(stderr, "Signing key %s (%s) is now current; the previous keys stay published for %s.\n", k.ID, k.Algorithm, cfg.AccessTokenTTL)
	return nil
}
