package pipeline

import (
	"context"
	"strconv"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/tmpl"
)

// VersionReader reads bot versions (switchboard.Queries has it).
type VersionReader interface {
	GetBotVersion(ctx context.Context, workspaceID, botID string, version int) (*sb.BotVersion, error)
	GetBotVersionModel(ctx context.Context, workspaceID, botID string, version int) ([]byte, error)
}

// VersionBot returns the bot as version v answers: a copy of b with v's
// configuration and secrets, and UpdatedAt the version's creation, so
// that an engine that compiles a bot once per UpdatedAt compiles each
// version once.
func VersionBot(b *sb.Bot, v *sb.BotVersion) *sb.Bot {
	c := *b
	c.Config, c.Secrets, c.UpdatedAt = v.Config, v.Secrets, v.CreatedAt
	return &c
}

// ModelLoader returns the BotTurn.Model of version v: it reads the model
// from r at each call (nil if the version has none).
func ModelLoader(r VersionReader, v *sb.BotVersion) func(ctx context.Context) ([]byte, error) {
	if v.ModelSize == 0 {
		return nil
	}
	ws, bot, n := v.WorkspaceID, v.BotID, v.Version
	return func(ctx context.Context) ([]byte, error) { return r.GetBotVersionModel(ctx, ws, bot, n) }
}

// TurnFill returns the BotTurn.Fill of a turn in a workspace, with its
// contact and conversation (nil in a parse: the workspace's facts only),
// facts read from facts at clock's time (nil: the system's): package
// tmpl's placeholders. A template with a placeholder that cannot be
// filled fails with EInvalid (the engine then tries another response,
// else the fallback).
func TurnFill(facts tmpl.Facts, clock sb.Clock, ws string, contact *sb.Contact, conv *sb.Conversation) func(ctx context.Context, template string) (string, error) {
	return tmpl.Vars{WorkspaceID: ws, Contact: contact, Conversation: conv, Facts: facts, Clock: clock}.Fill
}

// nowClock is a clock made of a Now function (the pipeline's).
type nowClock func() time.Time

func (c nowClock) Now() time.Time                         { return c() }
func (c nowClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// deployed returns the deployed version of a bot (nil if it has none),
// read once: versions never change.
func (p *Pipeline) deployed(ctx context.Context, b *sb.Bot) (*sb.BotVersion, error) {
	if b.DeployedVersion == nil {
		return nil, nil
	}
	key := b.ID + "/" + strconv.Itoa(*b.DeployedVersion)
	if v, ok := p.versions.get(key); ok {
		return v, nil
	}
	v, err := p.store.GetBotVersion(ctx, b.WorkspaceID, b.ID, *b.DeployedVersion)
	if err != nil {
		return nil, err
	}
	p.versions.put(key, v) // a deleted bot is not found before its versions are looked up
	return v, nil
}
