package switchboard

import (
	"context"
	"encoding/json"
	"time"
)

// Job kind of bot training (registered by package app on the job queue).
const JobTrainBot = "train_bot"

// Training statuses: the state of a bot's last training (Bot.Training).
const (
	TrainingRunning   = "running"
	TrainingSucceeded = "succeeded"
	TrainingFailed    = "failed"
)

// BotVersion is a trained bot: its draft's configuration and secrets as
// they were when it was trained, and what training produced. A bot's
// versions are numbered from 1 and never change; the one deployed
// (Bot.DeployedVersion) answers the bot's conversations.
type BotVersion struct {
	BotID       string            `json:"bot_id"`
	WorkspaceID string            `json:"-"`
	Version     int               `json:"version"`
	Engine      string            `json:"engine"`
	Config      json.RawMessage   `json:"config"`
	Secrets     map[string]string `json:"-"`
	// Model is the engine's trained artefact (nil if the engine has none).
	// It can be megabytes: stores return it only through
	// GetBotVersionModel, never with the version's metadata.
	Model     []byte `json:"-"`
	ModelSize int    `json:"model_size"` // bytes of Model
	// Metrics is a JSON object: what the engine measured while training
	// ({} for engines that do not train).
	Metrics   json.RawMessage `json:"metrics"`
	CreatedAt time.Time       `json:"created_at"`
	// DeployedAt is when the version was last deployed (nil: never).
	DeployedAt *time.Time `json:"deployed_at"`
}

// TrainingState is the state of a bot's last training.
type TrainingState struct {
	Status string `json:"status"` // TrainingRunning, TrainingSucceeded or TrainingFailed
	// Version is the version the training made (nil unless it succeeded).
	Version    *int       `json:"version"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Error says why the training failed (nil unless it did).
	Error *string `json:"error"`
}

// BotVersionEvent builds bot.trained (previous is nil) or bot.deployed
// (previous is the version that answered before, nil if none): data.bot,
// data.version and, for bot.deployed, data.previous_version.
func BotVersionEvent(typ string, b *Bot, v *BotVersion, previous *int) *Event {
	data := map[string]any{"bot": b, "version": v}
	if typ == EventBotDeployed {
		data["previous_version"] = previous
	}
	return NewEvent(b.WorkspaceID, typ, data)
}

// BotErrorEvent builds bot.error: data.bot, data.error and data.version,
// the number of the version that failed to answer (nil when a training
// failed).
func BotErrorEvent(b *Bot, version *int, msg string) *Event {
	return NewEvent(b.WorkspaceID, EventBotError, map[string]any{"bot": b, "error": msg, "version": version})
}

// BotVersionQueries store the versions of bots. A version's Page.After
// is the decimal number of the last version of the previous page.
//
// Errors: a missing bot or version is ENotFound; CreateBotVersion of a
// number the bot has is EConflict.
type BotVersionQueries interface {
	// CreateBotVersion stores a version, its secrets sealed.
	CreateBotVersion(ctx context.Context, v *BotVersion) error
	// ListBotVersions lists a bot's versions, newest first, without their
	// models.
	ListBotVersions(ctx context.Context, workspaceID, botID string, p Page) ([]*BotVersion, error)
	// GetBotVersion returns a version without its model.
	GetBotVersion(ctx context.Context, workspaceID, botID string, version int) (*BotVersion, error)
	// GetBotVersionModel returns a version's model (nil if it has none).
	GetBotVersionModel(ctx context.Context, workspaceID, botID string, version int) ([]byte, error)
	// DeployBotVersion makes version the bot's deployed version and stamps
	// the version's DeployedAt; ENotFound if the bot has no such version.
	DeployBotVersion(ctx context.Context, workspaceID, botID string, version int, at time.Time) error
	// LockBot holds the bot until the transaction ends, so that
	// concurrent read-modify-writes of one bot (a training finishing, a
	// deploy, a new draft) take turns. It does nothing outside a
	// transaction, and nothing on SQLite, whose write transactions already
	// take turns.
	LockBot(ctx context.Context, workspaceID, id string) error
}
