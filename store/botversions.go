package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// botVersionCols are the columns of a version's metadata: everything but
// the model, which can be megabytes and is read only when a turn needs it.
const botVersionCols = "bot_id, workspace_id, version, engine, config, secrets, model_size, metrics, created_at, deployed_at"

func (q *queries) scanBotVersion(s scanner) (*switchboard.BotVersion, error) {
	v := new(switchboard.BotVersion)
	var sealed []byte
	err := s.Scan(&v.BotID, &v.WorkspaceID, &v.Version, &v.Engine, rawCol{&v.Config}, &sealed,
		&v.ModelSize, rawCol{&v.Metrics}, timeCol{&v.CreatedAt}, nullTimeCol{&v.DeployedAt})
	if err != nil {
		return nil, err
	}
	if v.Secrets, err = q.open(sealed); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeTraining encodes a bot's training state for its JSON column (NULL
// when nil), its times at the stores' precision.
func encodeTraining(t *switchboard.TrainingState) (any, error) {
	if t == nil {
		return nil, nil
	}
	t.StartedAt = norm(t.StartedAt)
	t.FinishedAt = normPtr(t.FinishedAt)
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("store: encode training: %w", err)
	}
	return string(b), nil
}

// CreateBotVersion stores a new version of a bot, its secrets sealed.
func (q *queries) CreateBotVersion(ctx context.Context, v *switchboard.BotVersion) error {
	v.CreatedAt = q.stamp(v.CreatedAt)
	v.DeployedAt = normPtr(v.DeployedAt)
	v.Config = orEmptyObject(v.Config)
	v.Metrics = orEmptyObject(v.Metrics)
	config, err := encodeRaw(v.Config, "{}")
	if err != nil {
		return err
	}
	metrics, err := encodeRaw(v.Metrics, "{}")
	if err != nil {
		return err
	}
	v.Secrets = orEmpty(v.Secrets)
	secrets, err := q.seal(v.Secrets)
	if err != nil {
		return err
	}
	v.ModelSize = len(v.Model)
	var model any
	if v.Model != nil {
		model = v.Model
	}
	return q.insert(ctx, "bot version",
		`INSERT INTO bot_versions (`+botVersionCols+`, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		v.BotID, v.WorkspaceID, v.Version, v.Engine, config, secrets, v.ModelSize, metrics,
		q.t(v.CreatedAt), q.tp(v.DeployedAt), model)
}

// ListBotVersions lists a bot's versions, newest first, without models.
// Page.After is the number of the last version of the previous page.
func (q *queries) ListBotVersions(ctx context.Context, workspaceID, botID string, p switchboard.Page) ([]*switchboard.BotVersion, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	w.and("bot_id = ?", botID)
	if p.After != "" {
		after, err := strconv.Atoi(p.After)
		if err != nil {
			return nil, switchboard.Invalid("cursor", "is not a cursor this list returned")
		}
		w.and("version < ?", after)
	}
	query := "SELECT " + botVersionCols + " FROM bot_versions WHERE " + strings.Join(w.conds, " AND ") +
		" ORDER BY version DESC LIMIT " + strconv.Itoa(limit(p))
	return getMany(ctx, q, "bot version", q.scanBotVersion, query, w.args...)
}

// GetBotVersion finds a version of a bot of a workspace, without its model.
func (q *queries) GetBotVersion(ctx context.Context, workspaceID, botID string, version int) (*switchboard.BotVersion, error) {
	return getOne(ctx, q, "bot version", q.scanBotVersion,
		`SELECT `+botVersionCols+` FROM bot_versions WHERE workspace_id = ? AND bot_id = ? AND version = ?`,
		workspaceID, botID, version)
}

// GetBotVersionModel reads a version's model alone.
func (q *queries) GetBotVersionModel(ctx context.Context, workspaceID, botID string, version int) ([]byte, error) {
	return getOne(ctx, q, "bot version", func(s scanner) ([]byte, error) {
		var model []byte
		return model, s.Scan(&model)
	}, `SELECT model FROM bot_versions WHERE workspace_id = ? AND bot_id = ? AND version = ?`, workspaceID, botID, version)
}

// DeployBotVersion sets the bot's deployed version and stamps the version
// deployed.
func (q *queries) DeployBotVersion(ctx context.Context, workspaceID, botID string, version int, at time.Time) error {
	if err := q.change(ctx, "update", "bot version",
		`UPDATE bot_versions SET deployed_at = ? WHERE workspace_id = ? AND bot_id = ? AND version = ?`,
		q.t(norm(at)), workspaceID, botID, version); err != nil {
		return err
	}
	return q.change(ctx, "update", "bot",
		`UPDATE bots SET deployed_version = ? WHERE workspace_id = ? AND id = ?`, version, workspaceID, botID)
}

// LockBot holds a bot's row until the transaction ends (PostgreSQL only).
func (q *queries) LockBot(ctx context.Context, workspaceID, id string) error {
	return q.lockRow(ctx, "bots", "bot", workspaceID, id)
}

// lockRow holds a row of a workspace's table until the transaction ends:
// on PostgreSQL, inside a transaction; elsewhere it does nothing.
func (q *queries) lockRow(ctx context.Context, table, kind, workspaceID, id string) error {
	if q.dialect != DialectPostgres || q.committed == nil {
		return nil
	}
	var got string
	err := q.w.QueryRowContext(ctx, q.sql(`SELECT id FROM `+table+` WHERE workspace_id = ? AND id = ? FOR UPDATE`),
		workspaceID, id).Scan(&got)
	return translate(err, "lock", kind)
}
