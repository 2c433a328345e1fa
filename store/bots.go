package store

import (
	"context"
	"database/sql"

	"github.com/switchboardhq/switchboard"
)

const botCols = "id, workspace_id, name, engine, config, secrets, status, version, deployed_version, training, created_at, updated_at"

func (q *queries) scanBot(s scanner) (*switchboard.Bot, error) {
	b := new(switchboard.Bot)
	var sealed []byte
	var deployed sql.NullInt64
	err := s.Scan(&b.ID, &b.WorkspaceID, &b.Name, &b.Engine, rawCol{&b.Config}, &sealed,
		&b.Status, &b.Version, &deployed, jsonCol{&b.Training}, timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if deployed.Valid {
		v := int(deployed.Int64)
		b.DeployedVersion = &v
	}
	if b.Secrets, err = q.open(sealed); err != nil {
		return nil, err
	}
	return b, nil
}

// CreateBot stores a new bot, its secrets sealed.
func (q *queries) CreateBot(ctx context.Context, b *switchboard.Bot) error {
	if b.ID == "" {
		b.ID = switchboard.NewID(switchboard.PrefixBot)
	}
	b.CreatedAt = q.stamp(b.CreatedAt)
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = b.CreatedAt
	}
	b.UpdatedAt = norm(b.UpdatedAt)
	b.Config = orEmptyObject(b.Config)
	config, err := encodeRaw(b.Config, "{}")
	if err != nil {
		return err
	}
	b.Secrets = orEmpty(b.Secrets)
	secrets, err := q.seal(b.Secrets)
	if err != nil {
		return err
	}
	training, err := encodeTraining(b.Training)
	if err != nil {
		return err
	}
	return q.insert(ctx, "bot",
		`INSERT INTO bots (`+botCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		b.ID, b.WorkspaceID, b.Name, b.Engine, config, secrets, b.Status, b.Version, b.DeployedVersion, training,
		q.t(b.CreatedAt), q.t(b.UpdatedAt))
}

// GetBot finds a bot of a workspace.
func (q *queries) GetBot(ctx context.Context, workspaceID, id string) (*switchboard.Bot, error) {
	return getOne(ctx, q, "bot", q.scanBot,
		`SELECT `+botCols+` FROM bots WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListBots lists the bots of a workspace, newest first.
func (q *queries) ListBots(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Bot, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "bot", q.scanBot, w.page(botCols, "bots", p), w.args...)
}

// UpdateBot replaces a bot's name, engine, config, secrets, status,
// version and training, and stamps UpdatedAt (DeployBotVersion changes
// the deployed version).
func (q *queries) UpdateBot(ctx context.Context, b *switchboard.Bot) error {
	b.Config = orEmptyObject(b.Config)
	config, err := encodeRaw(b.Config, "{}")
	if err != nil {
		return err
	}
	b.Secrets = orEmpty(b.Secrets)
	secrets, err := q.seal(b.Secrets)
	if err != nil {
		return err
	}
	training, err := encodeTraining(b.Training)
	if err != nil {
		return err
	}
	b.UpdatedAt = q.now()
	return q.change(ctx, "update", "bot",
		`UPDATE bots SET name = ?, engine = ?, config = ?, secrets = ?, status = ?, version = ?, training = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		b.Name, b.Engine, config, secrets, b.Status, b.Version, training, q.t(b.UpdatedAt), b.WorkspaceID, b.ID)
}

// DeleteBot deletes a bot; its channels and conversations lose their bot.
func (q *queries) DeleteBot(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "bot",
		`DELETE FROM bots WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const channelCols = "id, workspace_id, type, name, bot_id, status, config, secrets, created_at, updated_at"

func (q *queries) scanChannel(s scanner) (*switchboard.Channel, error) {
	c := &switchboard.Channel{Config: map[string]any{}}
	var sealed []byte
	err := s.Scan(&c.ID, &c.WorkspaceID, &c.Type, &c.Name, &c.BotID, &c.Status, jsonCol{&c.Config},
		&sealed, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if c.Secrets, err = q.open(sealed); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateChannel stores a new channel, its secrets sealed.
func (q *queries) CreateChannel(ctx context.Context, c *switchboard.Channel) error {
	if c.ID == "" {
		c.ID = switchboard.NewID(switchboard.PrefixChannel)
	}
	c.CreatedAt = q.stamp(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = norm(c.UpdatedAt)
	config, err := encodeJSON(c.Config, "{}")
	if err != nil {
		return err
	}
	c.Config, c.Secrets = orEmpty(c.Config), orEmpty(c.Secrets)
	secrets, err := q.seal(c.Secrets)
	if err != nil {
		return err
	}
	return q.insert(ctx, "channel",
		`INSERT INTO channels (`+channelCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.WorkspaceID, c.Type, c.Name, c.BotID, c.Status, config, secrets,
		q.t(c.CreatedAt), q.t(c.UpdatedAt))
}

// GetChannel finds a channel of a workspace.
func (q *queries) GetChannel(ctx context.Context, workspaceID, id string) (*switchboard.Channel, error) {
	return getOne(ctx, q, "channel", q.scanChannel,
		`SELECT `+channelCols+` FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetChannelByID finds a channel in any workspace.
func (q *queries) GetChannelByID(ctx context.Context, id string) (*switchboard.Channel, error) {
	return getOne(ctx, q, "channel", q.scanChannel,
		`SELECT `+channelCols+` FROM channels WHERE id = ?`, id)
}

// ListChannels lists the channels of a workspace, newest first.
func (q *queries) ListChannels(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Channel, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "channel", q.scanChannel, w.page(channelCols, "channels", p), w.args...)
}

// UpdateChannel replaces a channel's name, bot, status, config and secrets
// (its type is fixed), and stamps UpdatedAt.
func (q *queries) UpdateChannel(ctx context.Context, c *switchboard.Channel) error {
	config, err := encodeJSON(c.Config, "{}")
	if err != nil {
		return err
	}
	c.Config, c.Secrets = orEmpty(c.Config), orEmpty(c.Secrets)
	secrets, err := q.seal(c.Secrets)
	if err != nil {
		return err
	}
	c.UpdatedAt = q.now()
	return q.change(ctx, "update", "channel",
		`UPDATE channels SET name = ?, bot_id = ?, status = ?, config = ?, secrets = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		c.Name, c.BotID, c.Status, config, secrets, q.t(c.UpdatedAt), c.WorkspaceID, c.ID)
}

// DeleteChannel deletes a channel with its contacts, conversations and
// messages.
func (q *queries) DeleteChannel(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "channel",
		`DELETE FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
