package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// createAPIKey implements `switchboard apikey create`. The workspace is
// named by name or id; a name that does not exist yet creates the workspace.
func createAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var name, scopes, workspace string
	cfg, _, err := parseConfig("apikey create", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "name of the key (required)")
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes, e.g. read:bots,write:messages or admin (required)")
		fs.StringVar(&workspace, "workspace", sb.DefaultWorkspace, "workspace name or id")
	})
	if err != nil {
		return err
	}
	var list []string
	for _, s := range strings.Split(scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	if err := auth.ValidateKey(name, list); err != nil {
		var e *sb.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			return fmt.Errorf("--%s: %s", strings.SplitN(e.Fields[0].Field, "[", 2)[0], e.Fields[0].Message)
		}
		return err
	}
	m := &Main{Config: cfg, Stdout: io.Discard, Logger: newLogger(cfg, stderr)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	ws, err := findWorkspace(ctx, m, workspace)
	if err != nil {
		return err
	}
	secretValue, _ := auth.NewKey()
	key := auth.NewAPIKey(ws.ID, name, list, secretValue)
	if err := m.DB.CreateAPIKey(ctx, key); err != nil {
		return err
	}
	fmt.Fprintln(stdout, secretValue)
	fmt.Fprintf(stderr, "Created %s (%s) in workspace %s (%s) with scopes %s. The key is shown once.\n", key.ID, name, ws.Name, ws.ID, strings.Join(list, ","))
	return nil
}

func findWorkspace(ctx context.Context, m *Main, nameOrID string) (*sb.Workspace, error) {
	if sb.HasPrefix(nameOrID, sb.PrefixWorkspace) {
		return m.DB.GetWorkspace(ctx, nameOrID)
	}
	return ensureWorkspace(ctx, m.DB, nameOrID)
}
