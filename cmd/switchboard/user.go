package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// createUser implements `switchboard user create`: the password is read
// from standard input (its first line), so that it is never in the
// process list or the shell's history.
func createUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var email, name, role, workspace string
	cfg, _, err := parseConfig("user create", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email the user signs in with (required)")
		fs.StringVar(&name, "name", "", "the user's name")
		fs.StringVar(&role, "role", "", "admin or agent (required)")
		fs.StringVar(&workspace, "workspace", sb.DefaultWorkspace, "workspace name or id")
	})
	if err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password from standard input: %w", err)
	}
	req := &app.CreateUserParams{Email: email, Name: name, Role: role, Password: strings.TrimRight(line, "\r\n")}
	if err := app.ValidateUser(req); err != nil {
		return flagError(err)
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
	u, err := app.New(app.Config{}, app.Deps{Store: m.DB, Clock: m.clock()}).CreateUser(ctx, ws.ID, req)
	if sb.ErrorCode(err) == sb.EConflict {
		return fmt.Errorf("a user with the email %s already exists", req.Email)
	} else if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.ID)
	fmt.Fprintf(stderr, "Created %s %s (%s) in workspace %s (%s).\n", u.Role, u.Email, u.ID, ws.Name, ws.ID)
	return nil
}

// flagError names the flag of a validation error (the password comes
// from standard input).
func flagError(err error) error {
	var e *sb.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		f := e.Fields[0]
		if f.Field == "password" {
			return fmt.Errorf("password (standard input): %s", f.Message)
		}
		return fmt.Errorf("--%s: %s", f.Field, f.Message)
	}
	return err
}
