package switchboard

import (
	"encoding/json"
	"time"
)

// Bot engines of this build (each lives in bot/<engine> and parses its own
// configuration).
const (
	EngineBuiltin = "builtin" // intents learned from examples, knowledge, fallback, handoff
	EngineWebhook = "webhook" // logic in the customer's service, reached by a signed POST
)

// Bot statuses.
const (
	BotDraft    = "draft"
	BotTraining = "training"
	BotTrained  = "trained"
	BotDeployed = "deployed"
	BotError    = "error"
)

// Bot answers the messages of the channels it is attached to, with its
// deployed version (BotVersion).
// Config is the engine's configuration as JSON without its secrets; Secrets
// holds the secret fields (the webhook engine's signing secret), encrypted
// at rest and never returned.
type Bot struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Engine      string            `json:"engine"`
	Config      json.RawMessage   `json:"config"`
	Secrets     map[string]string `json:"-"`
	// Status describes the draft (Config and Secrets): BotDraft (changed
	// since the last training), BotTraining, BotTrained (trained, not
	// live), BotDeployed (what answers) or BotError (the last training
	// failed: Training.Error says why).
	Status string `json:"status"`
	// Version is the newest version trained; DeployedVersion the one that
	// answers (nil until the first deploy: the bot is silent).
	Version         int            `json:"version"`
	DeployedVersion *int           `json:"deployed_version"`
	Training        *TrainingState `json:"training"` // the last training (nil: never trained here)
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}
